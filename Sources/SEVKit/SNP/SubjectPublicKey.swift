import _CryptoExtras
import Foundation
import SwiftASN1
import X509

/// A certificate's SubjectPublicKeyInfo decoded into swift-certificates' `Certificate.PublicKey`,
/// with RSA keys built from their numbers.
///
/// Why not `Certificate.PublicKey(derEncoded:)` for everything: for an RSA key it calls swift-
/// crypto's `_RSA.Signing.PublicKey(derRepresentation:)`, whose BoringSSL backing frees its
/// EVP_PKEY when both of its parses fail and then frees it again in `deinit` (swift-crypto
/// 3.12.3 and 4.5.0 alike). A certificate whose RSA key is well-formed DER but not a key
/// BoringSSL takes (an even exponent, a 20000-bit modulus: the fuzzer's first find) would
/// corrupt the heap. `_RSA.Signing.PublicKey(n:e:)` has no such path, so the PKCS#1 numbers
/// are read here and handed over that way. EC keys go through swift-certificates as before.
enum SubjectPublicKey {
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]

    static func decode(_ spki: ASN1Node) throws -> Certificate.PublicKey {
        let (algorithm, key) = try DER.sequence(spki, identifier: .sequence) { nodes in
            guard let algorithmNode = nodes.next() else { throw SNPCertificateError("subjectPublicKeyInfo: algorithm missing") }
            let algorithm = try DER.sequence(algorithmNode, identifier: .sequence) { inner in
                let oid = try ASN1ObjectIdentifier(derEncoded: &inner)
                while inner.next() != nil {}  // the parameters (NULL, or PSS's) do not change the key
                return oid
            }
            let key = try ASN1BitString(derEncoded: &nodes)
            guard nodes.next() == nil else { throw SNPCertificateError("subjectPublicKeyInfo: trailing fields") }
            return (algorithm, key)
        }
        guard algorithm == rsaEncryption || algorithm == rsassaPSS else {
            return try Certificate.PublicKey(derEncoded: spki)
        }
        guard key.paddingBits == 0 else { throw SNPCertificateError("subjectPublicKey: an RSA key has no unused bits") }
        let (modulus, exponent) = try DER.sequence(try DER.parse(key.bytes), identifier: .sequence) { nodes in
            let modulus = try positiveInteger(nodes.next(), "modulus")
            let exponent = try positiveInteger(nodes.next(), "publicExponent")
            guard nodes.next() == nil else { throw SNPCertificateError("RSAPublicKey: trailing fields") }
            return (modulus, exponent)
        }
        let rsa: _RSA.Signing.PublicKey
        do {
            rsa = try _RSA.Signing.PublicKey(n: Data(modulus), e: Data(exponent))
        } catch {
            throw SNPCertificateError("the RSA public key is not usable (\(modulus.count * 8)-bit modulus)")
        }
        // The same floor swift-certificates' own path applies.
        guard rsa.keySizeInBits >= 2048 else {
            throw SNPCertificateError("the RSA public key has \(rsa.keySizeInBits) bits; at least 2048 are needed")
        }
        return Certificate.PublicKey(rsa)
    }

    /// A DER INTEGER's magnitude, big-endian without its sign byte; refused unless positive
    /// and minimally encoded.
    private static func positiveInteger(_ node: ASN1Node?, _ name: String) throws -> [UInt8] {
        guard let node, node.identifier == .integer, case .primitive(let bytes) = node.content, let first = bytes.first else {
            throw SNPCertificateError("RSAPublicKey: \(name) is not an INTEGER")
        }
        guard first & 0x80 == 0 else { throw SNPCertificateError("RSAPublicKey: \(name) is negative") }
        if first == 0, bytes.count > 1, bytes[bytes.startIndex + 1] & 0x80 == 0 {
            throw SNPCertificateError("RSAPublicKey: \(name) is not minimally encoded")
        }
        let magnitude = Array(bytes.drop { $0 == 0 })
        guard !magnitude.isEmpty else { throw SNPCertificateError("RSAPublicKey: \(name) is zero") }
        return magnitude
    }
}
