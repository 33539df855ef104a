/// The 64-bit guest policy of SEV-SNP guests (SNP firmware ABI, pub. 56860, "Guest Policy").
///
/// Given to SNP_LAUNCH_START, echoed in every attestation report, and bound into the ID block:
/// a verifier compares it bit for bit, so it is kept here as the exact word, with named views.
///
/// Layout: 7:0 ABI_MINOR, 15:8 ABI_MAJOR, 16 SMT, 17 reserved (must be 1), 18 MIGRATE_MA,
/// 19 DEBUG, 20 SINGLE_SOCKET, 21 CXL_ALLOW, 22 MEM_AES_256_XTS, 23 RAPL_DIS,
/// 24 CIPHERTEXT_HIDING (DRAM), 25 PAGE_SWAP_DISABLE, 63:26 reserved (zero).
public struct SNPGuestPolicy: RawRepresentable, Hashable, Sendable, CustomStringConvertible, PolicyWord {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let smt = PolicyFlag(name: "smt", bit: 16, meaning: "SMT is allowed on the host")
    public static let migrateMA = PolicyFlag(name: "migrate-ma", bit: 18, meaning: "association with a migration agent is allowed")
    public static let debug = PolicyFlag(name: "debug", bit: 19, meaning: "debugging is allowed (the hypervisor can read guest memory)")
    public static let singleSocket = PolicyFlag(name: "single-socket", bit: 20, meaning: "the guest may be activated on one socket only")
    public static let cxlAllow = PolicyFlag(name: "cxl-allow", bit: 21, meaning: "CXL may be populated with devices or memory")
    public static let memAES256XTS = PolicyFlag(name: "mem-aes-256-xts", bit: 22, meaning: "AES-256-XTS memory encryption is required")
    public static let raplDisable = PolicyFlag(name: "rapl-dis", bit: 23, meaning: "Running Average Power Limit must be disabled")
    public static let ciphertextHiding = PolicyFlag(name: "ciphertext-hiding", bit: 24, meaning: "ciphertext hiding for DRAM must be enabled")
    public static let pageSwapDisable = PolicyFlag(name: "page-swap-disable", bit: 25, meaning: "SNP page move and swap commands are disabled for the guest")

    /// Every named bit, in bit order (bit 17 is not a flag: it is always 1).
    public static let flags: [PolicyFlag] = [
        smt, migrateMA, debug, singleSocket, cxlAllow, memAES256XTS, raplDisable, ciphertextHiding, pageSwapDisable,
    ]

    /// Bit 17: reserved, and the firmware requires it to be 1.
    public static let reservedOneMask: UInt64 = 1 << 17

    /// Bits 63:26 must be zero.
    public static let reservedZeroMask: UInt64 = ~((1 << 26) - 1)

    /// The smallest valid policy: ABI 0.0, bit 17 set, nothing else (`0x20000`).
    public static let minimal = SNPGuestPolicy(rawValue: reservedOneMask)

    public func contains(_ flag: PolicyFlag) -> Bool { rawValue & flag.mask != 0 }

    public mutating func set(_ flag: PolicyFlag, _ on: Bool = true) {
        if on { rawValue |= flag.mask } else { rawValue &= ~flag.mask }
    }

    /// Minimum firmware ABI minor version (bits 7:0).
    public var abiMinor: UInt8 {
        get { UInt8(truncatingIfNeeded: rawValue) }
        set { rawValue = rawValue & ~0xff | UInt64(newValue) }
    }

    /// Minimum firmware ABI major version (bits 15:8).
    public var abiMajor: UInt8 {
        get { UInt8(truncatingIfNeeded: rawValue >> 8) }
        set { rawValue = rawValue & ~0xff00 | UInt64(newValue) << 8 }
    }

    /// Whether the must-be-one bit 17 is set; SNP_LAUNCH_START fails without it.
    public var hasReservedOne: Bool { rawValue & Self.reservedOneMask != 0 }

    /// Set bits in 63:26, which must be zero.
    public var reservedBits: UInt64 { rawValue & Self.reservedZeroMask }

    public var allowsDebug: Bool { contains(Self.debug) }

    /// Reads `0x30000`, `196608`, or names such as `smt,single-socket` with an optional
    /// `abi=MAJOR.MINOR`. Names always produce bit 17 set, since no valid policy lacks it.
    public init(parsing text: String) throws(PolicyParseError) {
        try self.init(parsingPolicy: text)
    }

    /// `0x30000` style: lower-case hex, no padding.
    public var hex: String { "0x" + String(rawValue, radix: 16) }

    /// The set flags by name, then `abi=M.m` when a minimum is set; `none` when only bit 17 is
    /// set. Bit 17 is implied; when it is missing, `no-reserved-17` says so, and set reserved
    /// bits 63:26 appear as `reserved=0x…`, so the text never hides a bit of the word.
    public var names: String {
        var parts = flagAndVersionNames
        if !hasReservedOne { parts.append("no-reserved-17") }
        if reservedBits != 0 { parts.append("reserved=0x" + String(reservedBits, radix: 16)) }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }

    public var description: String { "\(hex) (\(names))" }

    /// One line per field, for `sevhost policy explain`.
    public var explanation: [String] {
        var lines = ["SNP guest policy \(hex)"]
        lines.append("  bits 7:0 ABI_MINOR = \(abiMinor)")
        lines.append("  bits 15:8 ABI_MAJOR = \(abiMajor)")
        for flag in Self.flags {
            if flag.bit == 18 {
                lines.append("  bit 17 reserved = \(hasReservedOne ? "1" : "0: must be 1, the firmware rejects this policy")")
            }
            let on = contains(flag)
            lines.append("  bit \(flag.bit) \(String(flag.name.uppercased().map { $0 == "-" ? "_" : $0 })) = \(on ? "1: " + flag.meaning : "0")")
        }
        if reservedBits != 0 {
            lines.append("  bits 63:26 reserved = 0x\(String(reservedBits, radix: 16)): must be zero")
        }
        lines.append("  names: \(names)")
        return lines
    }
}

extension SNPGuestPolicy {
    /// Every field by name, in bit order, as JSON (`report show`'s `policy`, `policy explain
    /// --json`): the ABI version, each flag as a boolean by its `policy build` name, bit 17
    /// and the reserved bits.
    public var fields: [(String, OrderedJSON)] {
        var fields: [(String, OrderedJSON)] = [
            ("raw", .string(hex)),
            ("abi-minor", .uint(UInt64(abiMinor))),
            ("abi-major", .uint(UInt64(abiMajor))),
        ]
        for flag in Self.flags {
            if flag.bit == 18 { fields.append(("reserved-17-must-be-one", .bool(hasReservedOne))) }
            fields.append((flag.name, .bool(contains(flag))))
        }
        fields.append(("reserved-63-26", .string("0x" + String(reservedBits, radix: 16))))
        return fields
    }
}

extension SNPGuestPolicy {
    static var versionKey: String { "abi" }
    /// Names start from `minimal`: bit 17 set, since no valid policy lacks it.
    static var namedBase: SNPGuestPolicy { .minimal }

    var minimumVersion: (major: UInt8, minor: UInt8) {
        get { (abiMajor, abiMinor) }
        set { (abiMajor, abiMinor) = newValue }
    }
}
