import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Issuing X.509 certificates shaped like AMD's SNP PKI (KDS spec 57230): an ARK (self-signed)
/// and an ASK for RSA keys, and a VCEK for a P-384 key carrying AMD's extensions (product,
/// TCB SPLs, hwID), each signed with RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48).
///
/// AMD does this in its key-signing service; a simulated AMD-SP needs a PKI of its own that
/// verifies under exactly the rules applied to AMD's (`SNPCertificate`, `SNPCertificateChain`,
/// `EndorsementKeyExtensions`). swift-certificates cannot sign with PSS, so the TBSCertificate is
/// written here with SwiftASN1 and the result is decoded back with `SNPCertificate`.
public enum SNPCertificateIssuing {
    /// Who a certificate names and when it is valid.
    public struct Subject: Sendable {
        public var commonName: String
        public var organization: String
        public var notBefore: Date
        public var notAfter: Date

        public init(commonName: String, organization: String, notBefore: Date, notAfter: Date) {
            self.commonName = commonName
            self.organization = organization
            self.notBefore = notBefore
            self.notAfter = notAfter
        }

        var name: DistinguishedName {
            get throws {
                try DistinguishedName {
                    OrganizationName(organization)
                    CommonName(commonName)
                }
            }
        }
    }

    /// A self-signed root (an ARK) for `key`.
    public static func root(key: _RSA.Signing.PrivateKey, subject: Subject, serial: [UInt8]) throws -> SNPCertificate {
        try issue(
            subjectKeyInfo: [UInt8](key.publicKey.derRepresentation), subject: subject, issuer: subject,
            serial: serial, extensions: caExtensions(), signer: key)
    }

    /// An intermediate (an ASK) for `key`, signed by `issuerKey` in the name of `issuer`.
    public static func intermediate(
        key: _RSA.Signing.PublicKey, subject: Subject, issuer: Subject, issuerKey: _RSA.Signing.PrivateKey, serial: [UInt8]
    ) throws -> SNPCertificate {
        try issue(
            subjectKeyInfo: [UInt8](key.derRepresentation), subject: subject, issuer: issuer,
            serial: serial, extensions: caExtensions(), signer: issuerKey)
    }

    /// What a VCEK states about the key: the product name KDS writes (`Milan-B0`, `Turin`), the
    /// TCB the key was derived for, and the chip id (64 bytes; 8 on Turin).
    public struct VCEKClaims: Sendable {
        public var productName: String
        public var tcb: TCBVersion
        public var hardwareID: [UInt8]

        public init(productName: String, tcb: TCBVersion, hardwareID: [UInt8]) {
            self.productName = productName
            self.tcb = tcb
            self.hardwareID = hardwareID
        }
    }

    /// A VCEK for the P-384 `key`, signed by the ASK. Serial 0, as KDS issues them.
    public static func vcek(
        key: P384.Signing.PublicKey, claims: VCEKClaims, subject: Subject, issuer: Subject, issuerKey: _RSA.Signing.PrivateKey
    ) throws -> SNPCertificate {
        typealias OID = EndorsementKeyExtensions.OID
        func integer(_ oid: ASN1ObjectIdentifier, _ value: UInt8) throws -> Certificate.Extension {
            var serializer = DER.Serializer()
            try serializer.serialize(Int(value))
            return Certificate.Extension(oid: oid, critical: false, value: serializer.serializedBytes[...])
        }
        var productName = DER.Serializer()
        try productName.serialize(try ASN1IA5String(claims.productName))
        var extensions = [
            try integer(OID.structVersion, 1),
            Certificate.Extension(oid: OID.productName, critical: false, value: productName.serializedBytes[...]),
        ]
        let tcb = claims.tcb
        if let fmc = tcb.fmc { extensions.append(try integer(OID.fmcSPL, fmc)) }
        extensions += [
            try integer(OID.blSPL, tcb.bootloader), try integer(OID.teeSPL, tcb.tee), try integer(OID.snpSPL, tcb.snp),
            try integer(OID.ucodeSPL, tcb.microcode),
            // KDS writes the raw chip id as the extension value, with no OCTET STRING inside.
            Certificate.Extension(oid: OID.hwID, critical: false, value: claims.hardwareID[...]),
        ]
        return try issue(
            subjectKeyInfo: [UInt8](key.derRepresentation), subject: subject, issuer: issuer,
            serial: [0], extensions: extensions, signer: issuerKey)
    }

    /// basicConstraints CA and keyUsage keyCertSign + cRLSign, as AMD's roots and ASKs carry.
    private static func caExtensions() throws -> [Certificate.Extension] {
        var constraints = DER.Serializer()
        try constraints.appendConstructedNode(identifier: .sequence) { try $0.serialize(true) }
        var usage = DER.Serializer()
        // keyCertSign (bit 5) and cRLSign (bit 6): one byte 0b0000_0110, one unused bit.
        try usage.serialize(ASN1BitString(bytes: [0x06], paddingBits: 1))
        return [
            Certificate.Extension(oid: [2, 5, 29, 19], critical: true, value: constraints.serializedBytes[...]),
            Certificate.Extension(oid: [2, 5, 29, 15], critical: true, value: usage.serializedBytes[...]),
        ]
    }

    /// `RSASSA-PSS` with SHA-384, MGF1-SHA-384 and a 48-byte salt (RFC 4055), as AMD states it.
    private static func pssAlgorithm(_ serializer: inout DER.Serializer) throws {
        typealias OIDs = SNPSignatureAlgorithm.OIDs
        func hashAlgorithm(_ s: inout DER.Serializer) throws {
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(OIDs.sha384)
                try s.serialize(ASN1Null())
            }
        }
        try serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(OIDs.rsassaPSS)
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try hashAlgorithm(&$0) }
                try s.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(OIDs.mgf1)
                        try hashAlgorithm(&s)
                    }
                }
                try s.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { try $0.serialize(48) }
            }
        }
    }

    private static func time(_ date: Date) throws -> GeneralizedTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return try GeneralizedTime(
            year: c.year!, month: c.month!, day: c.day!, hours: c.hour!, minutes: c.minute!, seconds: c.second!, fractionalSeconds: 0)
    }

    private static func issue(
        subjectKeyInfo: [UInt8], subject: Subject, issuer: Subject, serial: [UInt8],
        extensions: [Certificate.Extension], signer: _RSA.Signing.PrivateKey
    ) throws -> SNPCertificate {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(2) }
            s.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: serial) }
            try pssAlgorithm(&s)
            try s.serialize(try issuer.name)
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(try time(subject.notBefore))
                try s.serialize(try time(subject.notAfter))
            }
            try s.serialize(try subject.name)
            s.serializeRawBytes(subjectKeyInfo)
            try s.serialize(explicitlyTaggedWithTagNumber: 3, tagClass: .contextSpecific) { s in
                try s.appendConstructedNode(identifier: .sequence) { s in
                    for e in extensions { try s.serialize(e) }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try signer.signature(for: SHA384.hash(data: tbsBytes), padding: .PSS)
        var certificate = DER.Serializer()
        try certificate.appendConstructedNode(identifier: .sequence) { s in
            s.serializeRawBytes(tbsBytes)
            try pssAlgorithm(&s)
            try s.serialize(ASN1BitString(bytes: [UInt8](signature.rawRepresentation)[...]))
        }
        return try SNPCertificate(derEncoded: certificate.serializedBytes)
    }
}
