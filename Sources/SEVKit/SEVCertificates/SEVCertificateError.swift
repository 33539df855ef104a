/// Why a legacy SEV certificate or chain could not be decoded or used.
///
/// Decoding failures carry the byte offset (through `ByteDecodingError`), so a user holding a
/// hex dump and the spec can find the bad field at once.
public enum SEVCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes do not form the expected structure.
    case malformed(ByteDecodingError)
    /// A certificate holds a key of a kind this operation cannot use (e.g. a PDH that is not ECDH).
    case wrongKeyType(certificate: String, expected: String, found: String)
    /// A chain position holds a certificate with another usage.
    case unexpectedUsage(position: String, expected: SEVKeyUsage, found: SEVKeyUsage)
    /// The public key bytes do not describe a valid key.
    case invalidPublicKey(certificate: String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let error):
            error.description
        case .wrongKeyType(let certificate, let expected, let found):
            "\(certificate): wrong key type: expected \(expected), found \(found)"
        case .unexpectedUsage(let position, let expected, let found):
            "\(position): expected the \(expected) certificate, found key usage \(found)"
        case .invalidPublicKey(let certificate, let reason):
            "\(certificate): invalid public key: \(reason)"
        }
    }
}
