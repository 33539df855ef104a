import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1
import X509

/// An X.509 certificate of AMD's SNP PKI (ARK, ASK, ASVK, VCEK, VLEK).
///
/// swift-certificates refuses these certificates (RSASSA-PSS signatures, and VCEKs carry serial
/// number 0), so the outer structure is split here with SwiftASN1: the exact `tbsCertificate`
/// bytes the signature covers, the PSS parameters and the signature. The pieces swift-certificates
/// does handle (names, EC public keys, extensions) are decoded with its types; RSA keys are built
/// from their numbers (`SubjectPublicKey`).
public struct SNPCertificate: Hashable, Sendable {
    /// The whole certificate, DER.
    public let der: [UInt8]
    /// The signed part, exactly as encoded.
    public let tbsCertificate: [UInt8]
    public let serialNumber: [UInt8]
    public let signatureAlgorithm: SNPSignatureAlgorithm
    public let issuer: DistinguishedName
    public let subject: DistinguishedName
    public let notBefore: Date
    public let notAfter: Date
    public let publicKey: Certificate.PublicKey
    /// The SubjectPublicKeyInfo as encoded; its SHA-256 is the trust-anchor fingerprint.
    public let subjectPublicKeyInfo: [UInt8]
    public let extensions: Certificate.Extensions
    /// The signature value (big-endian, as X.509 carries it).
    public let signature: [UInt8]

    public init(derEncoded der: [UInt8]) throws(SNPCertificateError) {
        do {
            let root = try DER.parse(der)
            guard root.encodedBytes.count == der.count else {
                throw SNPCertificateError("trailing bytes after the certificate")
            }
            var parsed: (tbs: ArraySlice<UInt8>, outer: SNPSignatureAlgorithm, outerBytes: ArraySlice<UInt8>, sig: ArraySlice<UInt8>)!
            try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next(), let alg = nodes.next() else {
                    throw SNPCertificateError("certificate SEQUENCE is missing fields")
                }
                let outer = try SNPSignatureAlgorithm(derEncoded: alg)
                let bits = try ASN1BitString(derEncoded: &nodes)
                // DER lets a BIT STRING declare unused bits; a signature has none, and accepting
                // some would let a changed byte go unnoticed.
                guard bits.paddingBits == 0 else { throw SNPCertificateError("signatureValue has unused bits") }
                parsed = (tbs.encodedBytes, outer, alg.encodedBytes, bits.bytes)
            }
            self.der = der
            tbsCertificate = Array(parsed.tbs)
            signature = Array(parsed.sig)
            var algorithm = parsed.outer

            var fields: (serial: [UInt8], issuer: DistinguishedName, subject: DistinguishedName,
                         notBefore: Date, notAfter: Date, key: Certificate.PublicKey, spki: [UInt8],
                         ext: Certificate.Extensions)!
            try DER.sequence(try DER.parse(parsed.tbs), identifier: .sequence) { nodes in
                let version = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                    try Int(derEncoded: node)
                }
                guard version == nil || version == 2 else {
                    throw SNPCertificateError("X.509 version \(version! + 1) (expected 3)")
                }
                // A raw INTEGER read: a VCEK's serial is 0, which RFC 5280 forbids and strict
                // parsers reject, so the bytes are kept as they are.
                guard let serialNode = nodes.next(), serialNode.identifier == .integer,
                      case .primitive(let serialBytes) = serialNode.content
                else { throw SNPCertificateError("serialNumber is not an INTEGER") }
                guard let innerAlg = nodes.next() else { throw SNPCertificateError("tbsCertificate.signature missing") }
                let inner = try SNPSignatureAlgorithm(derEncoded: innerAlg)
                // RFC 5280 4.1.1.2: the two must be identical. Compared as bytes, because the
                // outer copy is not signed: any difference there is tampering.
                // A mismatch still parses (the certificate can be shown) but nothing verifies.
                if inner != parsed.outer || innerAlg.encodedBytes != parsed.outerBytes {
                    algorithm = .unsupported("tbsCertificate.signature \(inner) differs from signatureAlgorithm")
                }
                let issuer = try Self.name(&nodes)
                guard let validity = nodes.next() else { throw SNPCertificateError("validity missing") }
                let (notBefore, notAfter) = try DER.sequence(validity, identifier: .sequence) { inner in
                    guard let a = inner.next(), let b = inner.next() else {
                        throw SNPCertificateError("validity must hold notBefore and notAfter")
                    }
                    return (try X509Time.decode(a), try X509Time.decode(b))
                }
                let subject = try Self.name(&nodes)
                guard let spkiNode = nodes.next() else { throw SNPCertificateError("subjectPublicKeyInfo missing") }
                let key = try SubjectPublicKey.decode(spkiNode)
                // issuerUniqueID [1] / subjectUniqueID [2] are not used by AMD; skip if present.
                _ = DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { (_: ASN1Node) in () }
                _ = DER.optionalImplicitlyTagged(&nodes, tagNumber: 2, tagClass: .contextSpecific) { (_: ASN1Node) in () }
                let ext = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 3, tagClass: .contextSpecific) { node in
                    try Certificate.Extensions(DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: node))
                } ?? Certificate.Extensions()
                fields = (Array(serialBytes), issuer, subject, notBefore, notAfter, key, Array(spkiNode.encodedBytes), ext)
            }
            signatureAlgorithm = algorithm
            serialNumber = fields.serial
            issuer = fields.issuer
            subject = fields.subject
            notBefore = fields.notBefore
            notAfter = fields.notAfter
            publicKey = fields.key
            subjectPublicKeyInfo = fields.spki
            extensions = fields.ext
        } catch let error as SNPCertificateError {
            throw error
        } catch {
            throw SNPCertificateError("malformed X.509 certificate: \(error)")
        }
    }

    /// The most certificates one file may hold. A chain is at most four (ARK, ASK or ASVK,
    /// VCEK or VLEK); a bundle of every product's roots and intermediates stays well inside.
    /// Without a bound, a 1 MiB file of some 700 certificates costs seconds of decoding and
    /// every check after it is quadratic in their number.
    public static let maximumPerFile = 16

    /// Decodes every `CERTIFICATE` block of a PEM file (KDS `cert_chain` holds ASK then ARK),
    /// or a single DER certificate when the bytes are not PEM; more than `maximumPerFile`
    /// blocks are refused before the first past the bound is decoded.
    public static func decodeAll(_ bytes: [UInt8]) throws(SNPCertificateError) -> [SNPCertificate] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            return [try SNPCertificate(derEncoded: bytes)]
        }
        var result: [SNPCertificate] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN CERTIFICATE-----") {
            guard result.count < maximumPerFile else {
                throw SNPCertificateError("more than \(maximumPerFile) certificates in one file; a chain holds at most 4")
            }
            guard let end = rest.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<rest.endIndex) else {
                throw SNPCertificateError("PEM block \(result.count + 1) has no END line")
            }
            let body = rest[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            guard let der = Data(base64Encoded: String(body)) else {
                throw SNPCertificateError("PEM block \(result.count + 1) is not valid base64")
            }
            result.append(try SNPCertificate(derEncoded: [UInt8](der)))
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// The PEM text of this certificate.
    public var pem: String { PEMText.encode(der, label: "CERTIFICATE") }

    /// SHA-256 of the DER SubjectPublicKeyInfo: what the trust anchors pin.
    public var publicKeyFingerprint: [UInt8] { Array(SHA256.hash(data: subjectPublicKeyInfo)) }

    /// The subject's common name (`ARK-Milan`, `SEV-VCEK`), for messages.
    public var commonName: String? {
        for rdn in subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let s = String(attribute.value) { return s }
                return "\(attribute.value)"
            }
        }
        return nil
    }

    /// The serial as hex, `0x0` for a VCEK.
    public var serialHex: String {
        let trimmed = serialNumber.drop(while: { $0 == 0 })
        return "0x" + (trimmed.isEmpty ? "0" : String(Hex.encode(trimmed).drop(while: { $0 == "0" })))
    }

    /// Whether `issuer`'s key signed this certificate (or CRL body: any `tbs` and signature).
    public func isSigned(by issuer: SNPCertificate) -> Bool {
        SNPSignatureCheck.verify(
            signed: tbsCertificate, signature: signature, algorithm: signatureAlgorithm, key: issuer.publicKey)
    }

    /// Whether `date` lies within notBefore...notAfter.
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }

    private static func name(_ nodes: inout ASN1NodeCollection.Iterator) throws -> DistinguishedName {
        guard let node = nodes.next() else { throw SNPCertificateError("distinguished name missing") }
        return try DistinguishedName(derEncoded: node)
    }
}

/// Signature checks shared by certificates and CRLs.
enum SNPSignatureCheck {
    static func verify(
        signed: [UInt8], signature: [UInt8], algorithm: SNPSignatureAlgorithm, key: Certificate.PublicKey
    ) -> Bool {
        switch algorithm {
        case .rsassaPSS(let hash, let salt):
            // BoringSSL verifies PSS with the salt length equal to the digest length, which is
            // what AMD uses; any other salt is refused rather than half-checked.
            guard salt == hash.digestLength, let rsa = _RSA.Signing.PublicKey(key) else { return false }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch hash {
            case .sha256: return rsa.isValidSignature(sig, for: SHA256.hash(data: signed), padding: .PSS)
            case .sha384: return rsa.isValidSignature(sig, for: SHA384.hash(data: signed), padding: .PSS)
            case .sha512: return rsa.isValidSignature(sig, for: SHA512.hash(data: signed), padding: .PSS)
            }
        case .ecdsaSHA384:
            guard let p384 = P384.Signing.PublicKey(key),
                  let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature)
            else { return false }
            return p384.isValidSignature(sig, for: SHA384.hash(data: signed))
        case .unsupported:
            return false
        }
    }
}
