/// One of the two 516-byte signature slots of a SEV platform certificate.
///
/// A slot names the usage of the key that made it and the algorithm; the 512 signature bytes
/// are kept raw so a certificate re-encodes byte for byte, and are interpreted only when a
/// verifier asks (ECDSA r‖s as two 72-byte little-endian integers, or an RSA signature as one
/// little-endian integer).
public struct SEVSignatureSlot: Sendable, Hashable {
    public static let signatureSize = 512

    public var usage: SEVKeyUsage
    public var algorithm: SEVAlgorithm
    public var signature: [UInt8]

    public init(usage: SEVKeyUsage, algorithm: SEVAlgorithm, signature: [UInt8]) {
        precondition(signature.count == Self.signatureSize, "a signature slot holds 512 bytes")
        self.usage = usage
        self.algorithm = algorithm
        self.signature = signature
    }

    /// The slot a fresh certificate carries: usage INVALID, algorithm none, zero bytes.
    public static var empty: SEVSignatureSlot {
        SEVSignatureSlot(usage: .invalid, algorithm: .none, signature: [UInt8](repeating: 0, count: signatureSize))
    }

    /// True when the slot holds no signature: the usage is not one of a signing key, or the
    /// algorithm is not a signature algorithm (the firmware leaves unused slots this way).
    public var isEmpty: Bool {
        switch usage {
        case .ark, .ask, .oca, .pek, .pdh, .cek:
            guard let kind = algorithm.keyKind else { return true }
            return kind == .ecdh
        default:
            return true
        }
    }
}
