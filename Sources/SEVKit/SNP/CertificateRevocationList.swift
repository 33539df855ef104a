import Foundation
import SwiftASN1
import X509

/// An X.509 CRL as KDS serves it (`/vcek/v1/{product}/crl`): signed by the product's ARK with
/// RSASSA-PSS, listing revoked ASK/ASVK (and endorsement key) serial numbers.
///
/// Decoded with SwiftASN1 for the same reason as `SNPCertificate` (PSS signatures).
public struct CertificateRevocationList: Hashable, Sendable {
    public let der: [UInt8]
    public let tbsCertList: [UInt8]
    public let signatureAlgorithm: SNPSignatureAlgorithm
    public let issuer: DistinguishedName
    public let thisUpdate: Date
    public let nextUpdate: Date?
    /// Revoked serial numbers (big-endian INTEGER contents, as encoded).
    public let revokedSerials: [[UInt8]]
    public let signature: [UInt8]

    /// The PEM text of this CRL (`X509 CRL` block), as openssl writes it.
    public var pem: String { PEMText.encode(der, label: "X509 CRL") }

    /// Decodes DER, or PEM (`X509 CRL` block).
    public init(bytes: [UInt8]) throws(SNPCertificateError) {
        var der = bytes
        let text = String(decoding: bytes, as: UTF8.self)
        if let begin = text.range(of: "-----BEGIN X509 CRL-----"),
           let end = text.range(of: "-----END X509 CRL-----", range: begin.upperBound..<text.endIndex)
        {
            let body = text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: String(body)) else {
                throw SNPCertificateError("CRL PEM block is not valid base64")
            }
            der = [UInt8](data)
        }
        do {
            let root = try DER.parse(der)
            var outer: (tbs: ArraySlice<UInt8>, alg: SNPSignatureAlgorithm, algBytes: ArraySlice<UInt8>, sig: ArraySlice<UInt8>)!
            try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next(), let alg = nodes.next() else {
                    throw SNPCertificateError("CRL SEQUENCE is missing fields")
                }
                let bits = try ASN1BitString(derEncoded: &nodes)
                guard bits.paddingBits == 0 else { throw SNPCertificateError("CRL signatureValue has unused bits") }
                outer = (tbs.encodedBytes, try SNPSignatureAlgorithm(derEncoded: alg), alg.encodedBytes, bits.bytes)
            }
            var fields: (issuer: DistinguishedName, this: Date, next: Date?, revoked: [[UInt8]])!
            try DER.sequence(try DER.parse(outer.tbs), identifier: .sequence) { nodes in
                var node = nodes.next()
                if node?.identifier == .integer { node = nodes.next() }  // version v2
                guard let algNode = node, try SNPSignatureAlgorithm(derEncoded: algNode) == outer.alg,
                      algNode.encodedBytes == outer.algBytes
                else {
                    throw SNPCertificateError("CRL tbsCertList.signature differs from signatureAlgorithm")
                }
                let issuer = try Self.name(&nodes)
                guard let thisNode = nodes.next() else { throw SNPCertificateError("CRL thisUpdate missing") }
                let this = try X509Time.decode(thisNode)
                var next: Date? = nil
                var revoked: [[UInt8]] = []
                while let n = nodes.next() {
                    switch n.identifier {
                    case .utcTime, .generalizedTime:
                        next = try X509Time.decode(n)
                    case .sequence:
                        revoked = try DER.sequence(n, identifier: .sequence) { entries in
                            var serials: [[UInt8]] = []
                            while let entry = entries.next() {
                                try DER.sequence(entry, identifier: .sequence) { e in
                                    guard let serial = e.next(), serial.identifier == .integer,
                                          case .primitive(let bytes) = serial.content
                                    else { throw SNPCertificateError("CRL entry without a serial number") }
                                    serials.append(Array(bytes))
                                    while e.next() != nil {}
                                }
                            }
                            return serials
                        }
                    default:
                        break  // crlExtensions [0]
                    }
                }
                fields = (issuer, this, next, revoked)
            }
            self.der = der
            tbsCertList = Array(outer.tbs)
            signatureAlgorithm = outer.alg
            signature = Array(outer.sig)
            issuer = fields.issuer
            thisUpdate = fields.this
            nextUpdate = fields.next
            revokedSerials = fields.revoked
        } catch let error as SNPCertificateError {
            throw error
        } catch {
            throw SNPCertificateError("malformed CRL: \(error)")
        }
    }

    /// Whether `issuer` (the ARK) signed this CRL.
    public func isSigned(by issuer: SNPCertificate) -> Bool {
        SNPSignatureCheck.verify(signed: tbsCertList, signature: signature, algorithm: signatureAlgorithm, key: issuer.publicKey)
    }

    /// Whether `certificate`'s serial is listed (compared as integers, ignoring leading zeros).
    public func revokes(_ certificate: SNPCertificate) -> Bool {
        let serial = certificate.serialNumber.drop(while: { $0 == 0 })
        return revokedSerials.contains { $0.drop(while: { $0 == 0 }) == serial }
    }

    private static func name(_ nodes: inout ASN1NodeCollection.Iterator) throws -> DistinguishedName {
        guard let node = nodes.next() else { throw SNPCertificateError("distinguished name missing") }
        return try DistinguishedName(derEncoded: node)
    }
}
