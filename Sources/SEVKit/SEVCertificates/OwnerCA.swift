import Crypto

/// A platform owner's certificate authority (OCA): a self-signed SEV certificate and its P-384
/// key, made on the owner's side (`sevhost generate`) and used to sign the platform's PEK when
/// the owner takes the platform (`sevhost provision`, SEV API 55766 "PEK_CERT_IMPORT").
public struct OwnerCA: @unchecked Sendable {
    // `P384.Signing.PrivateKey` is an immutable value that swift-crypto does not mark Sendable.
    public let certificate: SEVPlatformCertificate
    let key: P384.Signing.PrivateKey

    /// A new OCA. Its API version is 0.0: it is the owner's, not a firmware's.
    public static func generate() throws -> OwnerCA {
        let key = P384.Signing.PrivateKey()
        return OwnerCA(certificate: try .selfSignedOCA(key: key, apiMajor: 0, apiMinor: 0), key: key)
    }

    private init(certificate: SEVPlatformCertificate, key: P384.Signing.PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// The OCA of `certificate` (usage OCA) with its private key in PEM (PKCS#8 or SEC1).
    public init(certificate: SEVPlatformCertificate, keyPEM: String) throws(OwnerCAError) {
        guard let key = try? P384.Signing.PrivateKey(pemRepresentation: keyPEM) else { throw .notAKey }
        guard let certified = try? certificate.ecPublicKey(), certified.x963Representation == [UInt8](key.publicKey.x963Representation) else {
            throw .keyMismatch
        }
        self.init(certificate: certificate, key: key)
    }

    /// The private key as PKCS#8 PEM with a final newline: the file the owner keeps, 0600.
    public var keyPEM: String { key.pemRepresentation + "\n" }

    /// Certifies `pek` (a PEK_CSR answer) as this OCA, in signature slot 0.
    public func sign(_ pek: inout SEVPlatformCertificate) throws {
        try pek.sign(slot: 0, with: key, usage: .oca)
    }
}

/// Why a key file is not an OCA's.
public enum OwnerCAError: Error, Sendable, Equatable {
    /// Not a P-384 private key in PEM.
    case notAKey
    /// A key, but not the one the certificate certifies.
    case keyMismatch
}
