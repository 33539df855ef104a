import Crypto
import SwiftASN1

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
        try self.init(certificate: certificate, keyFile: Array(keyPEM.utf8))
    }

    /// The OCA of `certificate` with its private key file as either tool writes it: PEM
    /// (PKCS#8 or SEC1, `sevhost generate`) or DER. `sevctl generate` writes the key with
    /// OpenSSL's `i2d_PrivateKey`, SEC1 DER for an EC key, and reads it back with
    /// `d2i_AutoPrivateKey`, which also takes PKCS#8 DER; both DER forms are taken here.
    public init(certificate: SEVPlatformCertificate, keyFile: [UInt8]) throws(OwnerCAError) {
        let key: P384.Signing.PrivateKey
        if let text = String(validating: keyFile, as: UTF8.self), text.contains("-----BEGIN") {
            guard let parsed = try? P384.Signing.PrivateKey(pemRepresentation: text) else { throw .notAKey }
            key = parsed
        } else {
            guard let parsed = try? P384.Signing.PrivateKey(derRepresentation: keyFile) else { throw .notAKey }
            key = parsed
        }
        guard let certified = try? certificate.ecPublicKey(), certified.x963Representation == [UInt8](key.publicKey.x963Representation) else {
            throw .keyMismatch
        }
        self.init(certificate: certificate, key: key)
    }

    /// The private key as PKCS#8 PEM with a final newline: the file the owner keeps, 0600.
    public var keyPEM: String { key.pemRepresentation + "\n" }

    /// The private key as SEC1 DER (RFC 5915 ECPrivateKey with the curve and the public key),
    /// byte for byte what OpenSSL's `i2d_PrivateKey` writes for it: the key file `sevctl
    /// generate` writes and `sevctl provision` reads.
    public var keyDER: [UInt8] {
        var serializer = DER.Serializer()
        // A version, two octet strings and an OID always serialise.
        try! serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(key.rawRepresentation)))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.serialize(ASN1ObjectIdentifier.NamedCurves.secp384r1)
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { coder in
                try coder.serialize(ASN1BitString(bytes: ArraySlice(key.publicKey.x963Representation)))
            }
        }
        return serializer.serializedBytes
    }

    /// Certifies `pek` (a PEK_CSR answer) as this OCA, in signature slot 0.
    public func sign(_ pek: inout SEVPlatformCertificate) throws {
        try pek.sign(slot: 0, with: key, usage: .oca)
    }
}

/// Why a key file is not an OCA's.
public enum OwnerCAError: Error, Sendable, Equatable {
    /// Not a P-384 private key in PEM or DER.
    case notAKey
    /// A key, but not the one the certificate certifies.
    case keyMismatch
}
