/// `virDomainState`, as libvirt numbers it.
public enum DomainState: Int32, Sendable, Hashable, CaseIterable {
    case noState = 0
    case running = 1
    case blocked = 2
    case paused = 3
    case shutdown = 4
    case shutoff = 5
    case crashed = 6
    case suspended = 7

    /// The word `virsh domstate` prints.
    public var name: String {
        switch self {
        case .noState: "no state"
        case .running: "running"
        case .blocked: "idle"
        case .paused: "paused"
        case .shutdown: "in shutdown"
        case .shutoff: "shut off"
        case .crashed: "crashed"
        case .suspended: "pmsuspended"
        }
    }

    /// Whether an emulator process exists for the domain.
    public var isActive: Bool { self != .shutoff && self != .noState }
}

/// One domain of a connection.
public struct DomainSummary: Sendable, Hashable {
    public var name: String
    /// Lower-case text; empty when libvirt could not say.
    public var uuid: String
    public var state: DomainState
}

/// `virNodeGetSEVInfo`'s answer. The certificates stay base64, as libvirt sends them.
public struct NodeSEVInfo: Sendable, Hashable {
    public var pdh: String
    public var certificateChain: String
    public var cpu0ID: String?
    public var cBitPosition: Int
    public var reducedPhysicalBits: Int
    /// ASIDs for SEV guests and for SEV-ES guests (nil when libvirt does not know).
    public var maxGuests: Int?
    public var maxESGuests: Int?

    init(_ parameters: borrowing TypedParameters) {
        pdh = parameters.string("pdh") ?? ""
        certificateChain = parameters.string("cert-chain") ?? ""
        cpu0ID = parameters.string("cpu0-id")
        cBitPosition = Int(parameters.unsigned("cbitpos") ?? 0)
        reducedPhysicalBits = Int(parameters.unsigned("reduced-phys-bits") ?? 0)
        maxGuests = parameters.unsigned("max-guests").map(Int.init)
        maxESGuests = parameters.unsigned("max-es-guests").map(Int.init)
    }
}

/// `virDomainGetLaunchSecurityInfo`'s answer for an SEV, SEV-ES or SEV-SNP guest.
public struct LaunchSecurityInfo: Sendable, Hashable {
    /// `sev-measurement`: base64 of measurement ‖ MNONCE (SEV and SEV-ES only).
    public var measurement: String?
    public var apiMajor: UInt32?
    public var apiMinor: UInt32?
    public var buildID: UInt32?
    /// `sev-policy` (SEV, SEV-ES).
    public var policy: UInt32?
    /// `sev-snp-policy` (SEV-SNP).
    public var snpPolicy: UInt64?

    init(_ parameters: borrowing TypedParameters) {
        measurement = parameters.string("sev-measurement")
        apiMajor = parameters.unsigned("sev-api-major").map { UInt32(truncatingIfNeeded: $0) }
        apiMinor = parameters.unsigned("sev-api-minor").map { UInt32(truncatingIfNeeded: $0) }
        buildID = parameters.unsigned("sev-build-id").map { UInt32(truncatingIfNeeded: $0) }
        policy = parameters.unsigned("sev-policy").map { UInt32(truncatingIfNeeded: $0) }
        snpPolicy = parameters.unsigned("sev-snp-policy")
    }
}
