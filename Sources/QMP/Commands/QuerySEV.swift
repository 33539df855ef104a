/// `query-sev`: the SEV state QEMU keeps for the guest.
///
/// Two reply shapes exist. Before QEMU 9.1 the reply is one flat object with `policy` and
/// `handle`. From 9.1 it is a union discriminated by `sev-type`: `sev` (SEV and SEV-ES) keeps
/// `policy` and `handle`, `sev-snp` carries a 64-bit `snp-policy` instead. Both decode to
/// `SEVInfo`; `guestType` tells which shape arrived.
public struct QuerySEV: QMPCommand {
    public static let name = "query-sev"
    public init() {}

    public static func decodeReply(_ value: QMPValue) throws(QMPError) -> SEVInfo {
        let reader = try QMPReplyReader(command: name, value: value)
        let guestType: SEVGuestType?
        let guest: SEVInfo.Guest
        if reader.has("sev-type") {
            let type = try reader.string("sev-type")
            switch type {
            case SEVGuestType.sev.rawValue:
                guestType = .sev
                guest = .sev(policy: try reader.integer("policy"), handle: try reader.integer("handle"))
            case SEVGuestType.sevSNP.rawValue:
                guestType = .sevSNP
                guest = .sevSNP(policy: try reader.integer("snp-policy"))
            default:
                throw QMPError.malformedReply(command: name, field: "sev-type", expected: "\"sev\" or \"sev-snp\", found \"\(type)\"")
            }
        } else {
            guestType = nil
            guest = .sev(policy: try reader.integer("policy"), handle: try reader.integer("handle"))
        }
        return SEVInfo(
            enabled: try reader.bool("enabled"),
            apiMajor: try reader.integer("api-major"),
            apiMinor: try reader.integer("api-minor"),
            buildID: try reader.integer("build-id"),
            state: SEVGuestState(rawValue: try reader.string("state")),
            guestType: guestType,
            guest: guest)
    }
}

/// The reply of `query-sev`.
public struct SEVInfo: Sendable, Hashable {
    /// The part that differs between SEV/SEV-ES and SEV-SNP guests.
    public enum Guest: Sendable, Hashable {
        /// An SEV or SEV-ES guest: its 32-bit policy and firmware handle.
        case sev(policy: UInt32, handle: UInt32)
        /// An SEV-SNP guest: its 64-bit policy.
        case sevSNP(policy: UInt64)
    }

    /// Whether SEV is active. When false, QEMU leaves the other fields unspecified (in
    /// practice zero, `uninit`).
    public var enabled: Bool
    /// The firmware's API version and build (the PSP firmware, not QEMU).
    public var apiMajor: UInt8
    public var apiMinor: UInt8
    public var buildID: UInt8
    public var state: SEVGuestState
    /// `sev-type` as QEMU ≥ 9.1 reports it; nil for the older flat reply.
    public var guestType: SEVGuestType?
    public var guest: Guest

    public init(enabled: Bool, apiMajor: UInt8, apiMinor: UInt8, buildID: UInt8, state: SEVGuestState, guestType: SEVGuestType?, guest: Guest) {
        self.enabled = enabled
        self.apiMajor = apiMajor
        self.apiMinor = apiMinor
        self.buildID = buildID
        self.state = state
        self.guestType = guestType
        self.guest = guest
    }

    /// The policy widened to 64 bits, whichever kind of guest.
    public var policy: UInt64 {
        switch guest {
        case .sev(let policy, _): return UInt64(policy)
        case .sevSNP(let policy): return policy
        }
    }
}

/// QAPI `SevGuestType` (QEMU ≥ 9.1).
public enum SEVGuestType: String, Sendable, Hashable {
    case sev = "sev"
    case sevSNP = "sev-snp"
}

/// QAPI `SevState`: where the guest is in the firmware's launch state machine. An open set.
public struct SEVGuestState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let uninit = SEVGuestState(rawValue: "uninit")
    public static let launchUpdate = SEVGuestState(rawValue: "launch-update")
    /// Measured and waiting for the guest owner's secret: the only state that accepts
    /// `sev-inject-launch-secret`.
    public static let launchSecret = SEVGuestState(rawValue: "launch-secret")
    public static let running = SEVGuestState(rawValue: "running")
    public static let sendUpdate = SEVGuestState(rawValue: "send-update")
    public static let receiveUpdate = SEVGuestState(rawValue: "receive-update")
}
