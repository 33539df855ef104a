import Crypto

/// The one-line identity sevctl prints for a certificate: usage, key and the digest of the
/// signed body, e.g. `PEK EP384 E256 <sha256 hex>` or `ARK R4096 R384 <sha384 hex>`.
///
/// The key part reads: `EP384` an ECC P-384 key, `R4096` a 4096-bit RSA key; then `E256`
/// (ECDSA), `D256` (ECDH) or `R384` (RSA) with the digest size. The hex is the digest of the
/// signed bytes with that digest, which identifies the certificate independently of its
/// signatures.
public enum SEVCertificateSummary {
    public static func line(for certificate: SEVPlatformCertificate) -> String {
        let digest = certificate.algorithm.digest ?? .sha256
        let kind: String
        switch certificate.algorithm.keyKind {
        case .ecdh: kind = "D"
        case .rsa: kind = "R"
        default: kind = "E"
        }
        let keyText: String
        if certificate.algorithm.keyKind == .rsa {
            keyText = "R? \(kind)\(digest.bitCount)"
        } else {
            let curve = UInt32(littleEndianBytes: certificate.publicKeyField[0..<4])
            let bits = curve == SEVECPublicKey.curveP384 ? "384" : curve == SEVECPublicKey.curveP256 ? "256" : "?"
            keyText = "EP\(bits) \(kind)\(digest.bitCount)"
        }
        return "\(certificate.usage) \(keyText) \(hexDigest(certificate.signedBytes, digest))"
    }

    public static func line(for certificate: AMDCACertificate) -> String {
        let digest = certificate.digest
        return "\(certificate.usage) R\(certificate.modulusBits) R\(digest.bitCount) \(hexDigest(certificate.signedBytes, digest))"
    }

    static func hexDigest(_ bytes: [UInt8], _ digest: SEVDigest) -> String {
        switch digest {
        case .sha256: Hex.encode(Array(SHA256.hash(data: bytes)))
        case .sha384: Hex.encode(Array(SHA384.hash(data: bytes)))
        }
    }
}
