import Foundation
import SEVKit

/// Certificates and CRLs: AMD's X.509 (KDS, certificate directories, certificate tables) and
/// the legacy SEV formats (platform chains, AMD CA chains, session blobs).
enum CertificateTargets {
    /// A fixed time, so a run does not depend on the clock.
    static let verificationTime = Date(timeIntervalSince1970: 1_750_000_000)

    static func x509(_ input: UnsafeRawBufferPointer) {
        guard let certificates = try? SNPCertificate.decodeAll(input.bytes) else { return }
        for certificate in certificates {
            _ = try? EndorsementKeyExtensions(certificate)
            _ = certificate.commonName
            _ = certificate.serialHex
            _ = certificate.pem
            _ = SNPTrustAnchors.product(of: certificate)
        }
        if let chain = try? SNPCertificateChain(sorting: certificates) {
            _ = chain.endorsementKind
            _ = chain.verify(at: verificationTime)
        }
    }

    /// The first byte says where the CRL ends; the rest is certificates to check it against.
    static func crl(_ input: UnsafeRawBufferPointer) {
        guard let first = input.first else { return }
        let body = input.bytes.dropFirst()
        let split = min(body.count, Int(first) * 16)
        let listBytes = Array(body.prefix(body.count - split)), certificateBytes = Array(body.suffix(split))
        guard let list = try? CertificateRevocationList(bytes: listBytes) else { return }
        for certificate in (try? SNPCertificate.decodeAll(certificateBytes)) ?? [] {
            _ = list.isSigned(by: certificate)
            _ = list.revokes(certificate)
        }
    }

    static func sevChain(_ input: UnsafeRawBufferPointer) {
        let bytes = input.bytes
        _ = try? SEVPlatformCertificate(bytes: bytes, name: "fuzz")
        _ = try? AMDCACertificate(bytes: bytes)
        _ = try? AMDCAChain(bytes: bytes, name: "fuzz")
        _ = try? LaunchSessionBlob(bytes: bytes)
        if let file = try? SEVChainFile(bytes: bytes, name: "fuzz"), let ca = file.ca {
            _ = SEVChainVerification(platform: file.platform, ca: ca).isValid
        }
    }

    static func table(_ input: UnsafeRawBufferPointer) {
        guard let table = try? SNPCertificateTable(bytes: input.bytes, name: "fuzz") else { return }
        // What export writes must read back as the same table.
        let again = try? SNPCertificateTable(bytes: table.encoded, name: "re-encoded")
        precondition(again == table, "a decoded table does not survive re-encoding")
    }
}
