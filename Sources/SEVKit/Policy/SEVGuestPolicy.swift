/// The 32-bit guest policy of SEV and SEV-ES guests (SEV API, pub. 55766, "Guest Policy").
///
/// The hypervisor passes this word to LAUNCH_START and the firmware enforces it for the guest's
/// lifetime: it decides whether the guest may be debugged, migrated or share keys, whether it is
/// an SEV-ES guest, and the lowest firmware API version it will run on.
///
/// Layout: bit 0 NODBG, 1 NOKS, 2 ES, 3 NOSEND, 4 DOMAIN, 5 SEV, 15:6 reserved (zero),
/// 23:16 API_MAJOR, 31:24 API_MINOR.
public struct SEVGuestPolicy: RawRepresentable, Hashable, Sendable, CustomStringConvertible, PolicyWord {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noDebug = PolicyFlag(name: "nodbg", bit: 0, meaning: "debugging of the guest is disallowed")
    public static let noKeySharing = PolicyFlag(name: "noks", bit: 1, meaning: "sharing keys with other guests is disallowed")
    public static let encryptedState = PolicyFlag(name: "es", bit: 2, meaning: "SEV-ES is required (register state is encrypted)")
    public static let noSend = PolicyFlag(name: "nosend", bit: 3, meaning: "sending the guest to another platform is disallowed")
    public static let domain = PolicyFlag(name: "domain", bit: 4, meaning: "the guest may only be sent to platforms in the domain")
    public static let sev = PolicyFlag(name: "sev", bit: 5, meaning: "the guest may only be sent to platforms that support SEV")

    /// Every named bit, in bit order.
    public static let flags: [PolicyFlag] = [noDebug, noKeySharing, encryptedState, noSend, domain, sev]

    /// Bits 15:6 must be zero.
    public static let reservedMask: UInt32 = 0x0000_ffc0

    public func contains(_ flag: PolicyFlag) -> Bool { UInt64(rawValue) & flag.mask != 0 }

    public mutating func set(_ flag: PolicyFlag, _ on: Bool = true) {
        if on { rawValue |= UInt32(flag.mask) } else { rawValue &= ~UInt32(flag.mask) }
    }

    /// Minimum firmware API major version (bits 23:16).
    public var apiMajor: UInt8 {
        get { UInt8(truncatingIfNeeded: rawValue >> 16) }
        set { rawValue = rawValue & ~0x00ff_0000 | UInt32(newValue) << 16 }
    }

    /// Minimum firmware API minor version (bits 31:24).
    public var apiMinor: UInt8 {
        get { UInt8(truncatingIfNeeded: rawValue >> 24) }
        set { rawValue = rawValue & ~0xff00_0000 | UInt32(newValue) << 24 }
    }

    /// Reserved bits that are set (should be zero; the firmware rejects them).
    public var reservedBits: UInt32 { rawValue & Self.reservedMask }

    /// Whether the firmware lets the hypervisor debug this guest (NODBG clear).
    public var allowsDebug: Bool { !contains(Self.noDebug) }

    /// Reads `0x5`, `5`, or names such as `nodbg,nosend,es` with an optional `api=MAJOR.MINOR`.
    public init(parsing text: String) throws(PolicyParseError) {
        try self.init(parsingPolicy: text)
    }

    /// `0x5` style: lower-case hex, no padding.
    public var hex: String { "0x" + String(rawValue, radix: 16) }

    /// The set flags by name, then `api=M.m` when a minimum is set; `none` for zero.
    /// Reserved bits, which have no name, are appended as `reserved=0x…`.
    public var names: String {
        var parts = flagAndVersionNames
        if reservedBits != 0 { parts.append("reserved=0x" + String(reservedBits, radix: 16)) }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    public var description: String { "\(hex) (\(names))" }

    /// One line per field, for `sevhost policy explain`.
    public var explanation: [String] {
        var lines = ["SEV guest policy \(hex)"]
        for flag in Self.flags {
            let mark = contains(flag) ? "1" : "0"
            lines.append("  bit \(flag.bit) \(flag.name.uppercased()) = \(mark)\(contains(flag) ? ": " + flag.meaning : "")")
        }
        lines.append("  bits 23:16 API_MAJOR = \(apiMajor)")
        lines.append("  bits 31:24 API_MINOR = \(apiMinor)")
        if reservedBits != 0 {
            lines.append("  bits 15:6 reserved = 0x\(String(reservedBits, radix: 16)): must be zero")
        }
        lines.append("  names: \(names)")
        return lines
    }
}

extension SEVGuestPolicy {
    /// Every field by name, in bit order, as JSON (`policy explain --json`): each flag as a
    /// boolean by its `policy build` name, the API version and the reserved bits.
    public var fields: [(String, OrderedJSON)] {
        [("raw", .string(hex))] + Self.flags.map { ($0.name, .bool(contains($0))) } + [
            ("api-major", .uint(UInt64(apiMajor))),
            ("api-minor", .uint(UInt64(apiMinor))),
            ("reserved-15-6", .string("0x" + String(reservedBits, radix: 16))),
        ]
    }
}

extension SEVGuestPolicy {
    static var versionKey: String { "api" }
    /// Names start from zero: no flag, API 0.0.
    static var namedBase: SEVGuestPolicy { SEVGuestPolicy(rawValue: 0) }

    var minimumVersion: (major: UInt8, minor: UInt8) {
        get { (apiMajor, apiMinor) }
        set { (apiMajor, apiMinor) = newValue }
    }
}
