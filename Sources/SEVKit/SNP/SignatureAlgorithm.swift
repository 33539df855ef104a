import SwiftASN1

/// The signature algorithms AMD's SNP PKI uses, decoded from an AlgorithmIdentifier.
///
/// Every ARK, ASK, ASVK, VCEK, VLEK and CRL is signed with RSASSA-PSS (SHA-384, MGF1-SHA-384,
/// salt 48). swift-certificates has no PSS support, which is why SEVKit decodes the identifier
/// itself; ECDSA is accepted so that a locally issued test chain can be checked too.
public enum SNPSignatureAlgorithm: Hashable, Sendable, CustomStringConvertible {
    case rsassaPSS(hash: HashFunction, saltLength: Int)
    case ecdsaSHA384
    /// Decoded but not acceptable (another algorithm, or PSS with an unsupported hash): the
    /// certificate still parses, so it can be shown, but no signature under it ever verifies.
    case unsupported(String)

    public enum HashFunction: String, Sendable, Hashable {
        case sha256, sha384, sha512
        var digestLength: Int {
            switch self {
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }
        init?(oid: ASN1ObjectIdentifier) {
            switch oid {
            case OIDs.sha256: self = .sha256
            case OIDs.sha384: self = .sha384
            case OIDs.sha512: self = .sha512
            default: return nil
            }
        }
    }

    public var description: String {
        switch self {
        case .rsassaPSS(let hash, let salt): "rsassa-pss(\(hash.rawValue), mgf1-\(hash.rawValue), salt \(salt))"
        case .ecdsaSHA384: "ecdsa-with-SHA384"
        case .unsupported(let what): "unsupported (\(what))"
        }
    }

    enum OIDs {
        static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
        static let mgf1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 8]
        static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
        static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
        static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
        static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]
    }

    /// Decodes `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
    init(derEncoded node: ASN1Node) throws {
        self = try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            switch oid {
            case OIDs.ecdsaWithSHA384:
                _ = nodes.next()
                return .ecdsaSHA384
            case OIDs.rsassaPSS:
                guard let params = nodes.next() else {
                    throw SNPCertificateError("RSASSA-PSS without parameters (AMD always states SHA-384/salt 48)")
                }
                return try Self.decodePSSParameters(params)
            default:
                while nodes.next() != nil {}
                return .unsupported("signature algorithm \(oid)")
            }
        }
    }

    /// `RSASSA-PSS-params` (RFC 4055): hash [0], maskGen [1], salt [2], trailer [3], each with
    /// a default (SHA-1 / 20) that AMD never uses; the mask hash must equal the message hash.
    private static func decodePSSParameters(_ node: ASN1Node) throws -> SNPSignatureAlgorithm {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let hashOID = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                try Self.algorithmOID(node)
            }
            let mgf = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { node in
                try DER.sequence(node, identifier: .sequence) { inner -> ASN1ObjectIdentifier in
                    let mgfOID = try ASN1ObjectIdentifier(derEncoded: &inner)
                    guard mgfOID == OIDs.mgf1, let hashNode = inner.next() else {
                        throw SNPCertificateError("RSASSA-PSS mask generation \(mgfOID) is not MGF1")
                    }
                    return try Self.algorithmOID(hashNode)
                }
            }
            let salt = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 2, tagClass: .contextSpecific) { node in
                try Int(derEncoded: node)
            }
            let trailer = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 3, tagClass: .contextSpecific) { node in
                try Int(derEncoded: node)
            }
            guard let hashOID, let hash = HashFunction(oid: hashOID) else {
                return .unsupported("RSASSA-PSS hash \(hashOID.map { "\($0)" } ?? "SHA-1 (default)")")
            }
            guard mgf == hashOID else {
                return .unsupported("RSASSA-PSS MGF1 hash differs from the message hash")
            }
            guard trailer == nil || trailer == 1 else {
                return .unsupported("RSASSA-PSS trailer field \(trailer!)")
            }
            return .rsassaPSS(hash: hash, saltLength: salt ?? 20)
        }
    }

    private static func algorithmOID(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            // Hash parameters are NULL or absent (RFC 4055); anything else is malformed.
            if let params = nodes.next() {
                _ = try ASN1Null(derEncoded: params)
            }
            return oid
        }
    }
}
