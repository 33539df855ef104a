import SEVKit

/// One check of `sevhost ok`: what it tests, for which SEV generation, and its sub-checks.
///
/// Checks form a tree because most only make sense when their parent holds: there is no point
/// reading the C-bit position of a CPU without SEV. Children of a failed check are reported as
/// SKIP, as `sevctl ok` and `snphost ok` do, so one root cause gives one failure.
public struct HostCheck: Sendable {
    /// Stable identifier for `--json` consumers (`sev-snp-enabled-in-kvm`).
    public var id: String
    /// The name printed for a skipped check, and for a run one unless its outcome renames it.
    public var name: String
    /// The oldest generation that needs this check; it is skipped when a lower one is selected.
    public var generation: SEVGeneration
    public var category: CheckCategory
    /// What is tested and where the answer comes from.
    public var description: String
    /// What to do when the check fails.
    public var hint: String
    public var run: @Sendable (CheckContext) -> CheckOutcome
    public var children: [HostCheck]

    public init(
        id: String, name: String, generation: SEVGeneration, category: CheckCategory,
        description: String, hint: String, children: [HostCheck] = [],
        run: @escaping @Sendable (CheckContext) -> CheckOutcome
    ) {
        self.id = id
        self.name = name
        self.generation = generation
        self.category = category
        self.description = description
        self.hint = hint
        self.run = run
        self.children = children
    }
}

/// What a check sees: the host, and which generation the user asked about.
public struct CheckContext: Sendable {
    public var probe: HostProbe
    public var generation: SEVGeneration
}

/// The verdict of one check.
public struct CheckOutcome: Sendable, Equatable {
    public var passed: Bool
    /// Printed after the name (`C-bit location: 51`).
    public var message: String?
    /// Replaces the check's name in the result line, where the peers print a different name
    /// for the result than for the skipped check (`KVM Support` → `KVM supported`).
    public var name: String?
    /// Replaces the check's hint when the cause is known to be more specific.
    public var hint: String?

    public static func pass(_ message: String? = nil, name: String? = nil) -> CheckOutcome {
        CheckOutcome(passed: true, message: message, name: name, hint: nil)
    }

    public static func fail(_ message: String? = nil, name: String? = nil, hint: String? = nil) -> CheckOutcome {
        CheckOutcome(passed: false, message: message, name: name, hint: hint)
    }

    public static func check(_ condition: Bool, _ message: String? = nil) -> CheckOutcome {
        CheckOutcome(passed: condition, message: message, name: nil, hint: nil)
    }
}

/// Groups for `--verbose`, in the order they are printed.
public enum CheckCategory: String, Sendable, CaseIterable, Codable {
    case cpuSupport = "cpu_support"
    case cpuInfo = "cpu_info"
    case biosConfigured = "bios_configured"
    case platformInitialized = "platform_initialized"
    case kvmConfig = "kvm_config"
    case kernelConfig = "kernel_config"
    case hostSoftware = "host_software"
    case compliance = "compliance"
    /// Only with `ok --features`.
    case optionalFeatures = "optional_features"

    public var title: String {
        switch self {
        case .cpuSupport: "CPU Support"
        case .cpuInfo: "CPU Info"
        case .biosConfigured: "BIOS Configured"
        case .platformInitialized: "Platform Initialized"
        case .kvmConfig: "KVM Config"
        case .kernelConfig: "Kernel Config"
        case .hostSoftware: "Host Software"
        case .compliance: "Compliance"
        case .optionalFeatures: "Optional Features"
        }
    }
}
