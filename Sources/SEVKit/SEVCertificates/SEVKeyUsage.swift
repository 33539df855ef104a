/// What a key in AMD's legacy SEV certificate formats is for (SEV API 55766, "Key Usage").
///
/// The same 32-bit code space is shared by the AMD CA format (ARK, ASK) and the SEV platform
/// format (OCA, PEK, PDH, CEK), and the signature slots of a platform certificate say which
/// kind of key made them with these codes: the verifier relies on that to pick a slot.
public struct SEVKeyUsage: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// AMD Root Key (self-signed root of the CA chain).
    public static let ark = SEVKeyUsage(rawValue: 0x0000)
    /// AMD SEV Signing Key (signs CEKs).
    public static let ask = SEVKeyUsage(rawValue: 0x0013)
    /// An empty signature slot.
    public static let invalid = SEVKeyUsage(rawValue: 0x1000)
    /// Owner Certificate Authority (self-signed by default; signs the PEK).
    public static let oca = SEVKeyUsage(rawValue: 0x1001)
    /// Platform Endorsement Key (signed by OCA and CEK; signs the PDH).
    public static let pek = SEVKeyUsage(rawValue: 0x1002)
    /// Platform Diffie-Hellman key (the guest owner's key agreement partner).
    public static let pdh = SEVKeyUsage(rawValue: 0x1003)
    /// Chip Endorsement Key (unique per chip; signed by the ASK).
    public static let cek = SEVKeyUsage(rawValue: 0x1004)

    /// The short name sevctl prints, or the hex code when the value is not defined.
    public var description: String {
        switch self {
        case .ark: "ARK"
        case .ask: "ASK"
        case .invalid: "INVALID"
        case .oca: "OCA"
        case .pek: "PEK"
        case .pdh: "PDH"
        case .cek: "CEK"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}

/// The public-key / signature algorithm codes of the SEV platform certificate format.
public struct SEVAlgorithm: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let none = SEVAlgorithm(rawValue: 0x000)
    public static let rsaSHA256 = SEVAlgorithm(rawValue: 0x001)
    public static let ecdsaSHA256 = SEVAlgorithm(rawValue: 0x002)
    public static let ecdhSHA256 = SEVAlgorithm(rawValue: 0x003)
    public static let rsaSHA384 = SEVAlgorithm(rawValue: 0x101)
    public static let ecdsaSHA384 = SEVAlgorithm(rawValue: 0x102)
    public static let ecdhSHA384 = SEVAlgorithm(rawValue: 0x103)

    /// The kind of key the algorithm uses, nil for `none` and undefined codes.
    public var keyKind: SEVKeyKind? {
        switch self {
        case .rsaSHA256, .rsaSHA384: .rsa
        case .ecdsaSHA256, .ecdsaSHA384: .ecdsa
        case .ecdhSHA256, .ecdhSHA384: .ecdh
        default: nil
        }
    }

    /// The digest the algorithm signs with, nil for `none` and undefined codes.
    public var digest: SEVDigest? {
        switch self {
        case .rsaSHA256, .ecdsaSHA256, .ecdhSHA256: .sha256
        case .rsaSHA384, .ecdsaSHA384, .ecdhSHA384: .sha384
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .none: "NONE"
        case .rsaSHA256: "RSA-SHA256"
        case .ecdsaSHA256: "ECDSA-SHA256"
        case .ecdhSHA256: "ECDH-SHA256"
        case .rsaSHA384: "RSA-SHA384"
        case .ecdsaSHA384: "ECDSA-SHA384"
        case .ecdhSHA384: "ECDH-SHA384"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}

/// The three kinds of key the legacy formats carry.
public enum SEVKeyKind: Sendable, Hashable {
    case rsa, ecdsa, ecdh
}

/// The digests the legacy formats sign with.
public enum SEVDigest: Sendable, Hashable {
    case sha256, sha384

    public var bitCount: Int { self == .sha256 ? 256 : 384 }
}
