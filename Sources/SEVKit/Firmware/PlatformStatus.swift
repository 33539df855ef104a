/// What the SEV firmware's PLATFORM_STATUS command answers (SEV API 55766, §5.5).
public struct SEVPlatformStatus: Codable, Sendable, Equatable {
    /// The platform state machine of the SEV API.
    public enum State: String, Codable, Sendable {
        case uninitialized, initialized, working
    }

    public var apiMajor: UInt8
    public var apiMinor: UInt8
    public var build: UInt8
    public var state: State
    /// Bit 0: the platform is owned externally; bit 8: SEV-ES is initialized.
    public var flags: HexNumber<UInt32>
    public var guestCount: UInt32

    public init(apiMajor: UInt8, apiMinor: UInt8, build: UInt8, state: State, flags: UInt32, guestCount: UInt32) {
        self.apiMajor = apiMajor
        self.apiMinor = apiMinor
        self.build = build
        self.state = state
        self.flags = HexNumber(flags)
        self.guestCount = guestCount
    }

    public var isESInitialized: Bool { flags.value & (1 << 8) != 0 }

    /// `major.minor`, how AMD and the tools print the firmware version.
    public var version: String { "\(apiMajor).\(apiMinor)" }

    enum CodingKeys: String, CodingKey {
        case apiMajor = "api-major", apiMinor = "api-minor", build, state, flags
        case guestCount = "guest-count"
    }
}

/// What the firmware's SNP_PLATFORM_STATUS command answers (SNP ABI 56860, §8.3).
public struct SNPPlatformStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case uninitialized, initialized
    }

    public var state: State
    public var rmpInitialized: Bool
    public var aliasCheckComplete: Bool
    /// The TCB the firmware runs at (the committed and current one).
    public var platformTCB: HexNumber<UInt64>
    /// The TCB reported in attestation reports (SNP_SET_CONFIG can hold it lower).
    public var reportedTCB: HexNumber<UInt64>

    public init(state: State, rmpInitialized: Bool, aliasCheckComplete: Bool, platformTCB: UInt64, reportedTCB: UInt64) {
        self.state = state
        self.rmpInitialized = rmpInitialized
        self.aliasCheckComplete = aliasCheckComplete
        self.platformTCB = HexNumber(platformTCB)
        self.reportedTCB = HexNumber(reportedTCB)
    }

    enum CodingKeys: String, CodingKey {
        case state
        case rmpInitialized = "rmp-initialized"
        case aliasCheckComplete = "alias-check-complete"
        case platformTCB = "platform-tcb"
        case reportedTCB = "reported-tcb"
    }
}
