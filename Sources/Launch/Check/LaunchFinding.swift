import SEVKit

/// One thing `check` found about a launch: which rule, how bad, where (the element or option,
/// as the user wrote it) and what to do.
public struct LaunchFinding: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable, Comparable {
        /// The launch would fail (QEMU, KVM or the firmware refuses it).
        case error
        /// The launch would run, but not as the user probably means (DEBUG allowed, a check skipped).
        case warning
        /// What the launch will do that a verifier must know (the SEV-ES VM type).
        case note

        private var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// A stable identifier (`snp-pflash`), the same for a domain and a command line.
    public var rule: String
    public var severity: Severity
    /// The element or option at fault (`<loader type='pflash'>`, `-object sev-snp-guest,policy=`).
    public var location: String
    public var problem: String
    public var fix: String?

    public init(rule: String, severity: Severity, location: String, problem: String, fix: String? = nil) {
        self.rule = rule
        self.severity = severity
        self.location = location
        self.problem = problem
        self.fix = fix
    }
}

/// What `check` knows about the host the launch is meant for (this machine or a captured one),
/// gathered by the caller; every field may be unknown, and a rule whose input is unknown says so
/// instead of passing.
public struct LaunchCheckHost: Sendable, Equatable {
    public var sev: HostSEVParameters?
    public var snpPolicyBits: KVMSNPPolicyBits?
    public var smtActive: Bool?
    /// The running SEV firmware's API version (PLATFORM_STATUS), which SNP reports alike.
    public var firmwareVersion: SEVFirmwareFile.Version?
    /// Whether kvm_amd has each generation on; a missing key is unknown.
    public var kvmEnabled: [SEVGeneration: Bool] = [:]
    /// ASIDs still free for each generation; a missing key is unknown.
    public var asidsLeft: [SEVGeneration: Int] = [:]
    public var qemu: QEMUVersion?

    public init() {}
}

