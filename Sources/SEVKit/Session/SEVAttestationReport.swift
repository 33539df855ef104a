import Crypto

/// The report of the SEV firmware's ATTESTATION command (SEV API 55766, "ATTESTATION"), which
/// QEMU returns base64-encoded from `query-sev-attestation-report` (KVM's
/// `KVM_SEV_GET_ATTESTATION_REPORT`): the guest owner's MNONCE, the launch digest and the policy,
/// signed by the platform's PEK.
///
/// Layout, 0xD0 bytes, little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0x00 | 16 | MNONCE, from the request |
/// | 0x10 | 32 | LAUNCH_DIGEST, SHA-256 of everything measured at launch |
/// | 0x30 | 4 | POLICY |
/// | 0x34 | 4 | SIG_USAGE: the signing key's usage, the PEK's (0x1002) |
/// | 0x38 | 4 | SIG_ALGO: ECDSA with SHA-256 (0x002), as the PEK's certificate says |
/// | 0x3C | 4 | reserved |
/// | 0x40 | 144 | SIG1: r and s, 72 bytes each, little-endian |
///
/// The signature covers bytes 0x00–0x33 (MNONCE, LAUNCH_DIGEST, POLICY).
public struct SEVAttestationReport: Sendable, Hashable {
    public static let size = 0xD0
    public static let signedSize = 0x34

    public var mnonce: [UInt8]
    public var launchDigest: [UInt8]
    public var policy: UInt32
    public var signatureUsage: SEVKeyUsage
    public var signatureAlgorithm: SEVAlgorithm
    /// SIG1 as the firmware writes it (r, s little-endian, 72 bytes each).
    public var signature: [UInt8]

    /// Reads a report; the error names the byte offset.
    public init(bytes: [UInt8]) throws(ByteDecodingError) {
        var reader = ByteReader(bytes, context: "SEV attestation report")
        guard bytes.count == Self.size else {
            throw ByteDecodingError(context: "SEV attestation report", offset: 0, reason: "expected \(Self.size) bytes, got \(bytes.count)")
        }
        mnonce = try reader.readBytes(16, field: "MNONCE")
        launchDigest = try reader.readBytes(32, field: "LAUNCH_DIGEST")
        policy = try reader.readInteger(UInt32.self, field: "POLICY")
        signatureUsage = SEVKeyUsage(rawValue: try reader.readInteger(UInt32.self, field: "SIG_USAGE"))
        signatureAlgorithm = SEVAlgorithm(rawValue: try reader.readInteger(UInt32.self, field: "SIG_ALGO"))
        _ = try reader.readBytes(4, field: "reserved")
        signature = try reader.readBytes(144, field: "SIG1")
    }

    /// The report the firmware produces, signed with the PEK.
    public init(mnonce: [UInt8], launchDigest: [UInt8], policy: UInt32, pek: P384.Signing.PrivateKey) throws {
        precondition(mnonce.count == 16 && launchDigest.count == 32, "MNONCE is 16 bytes, the launch digest 32")
        self.mnonce = mnonce
        self.launchDigest = launchDigest
        self.policy = policy
        signatureUsage = .pek
        signatureAlgorithm = .ecdsaSHA256
        signature = []
        let ecdsa = try pek.signature(for: SHA256.hash(data: signedBytes))
        signature = Array(SEVCertificateVerifier.encodeECDSA(ecdsa).prefix(144))
    }

    /// MNONCE, LAUNCH_DIGEST and POLICY: what SIG1 signs.
    public var signedBytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.signedSize)
        writer.write(bytes: mnonce)
        writer.write(bytes: launchDigest)
        writer.write(policy)
        return writer.bytes
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.write(bytes: signedBytes)
        writer.write(signatureUsage.rawValue)
        writer.write(signatureAlgorithm.rawValue)
        writer.writeZeros(4)
        writer.write(bytes: signature)
        return writer.bytes
    }

    /// Whether SIG1 is a valid ECDSA-SHA256 signature by `pek` over the signed bytes.
    public func isSigned(by pek: P384.Signing.PublicKey) -> Bool {
        signatureUsage == .pek && signatureAlgorithm == .ecdsaSHA256
            && signature.count == 144
            && SEVCertificateVerifier.verifyECDSA(signature, key: pek, digest: .sha256, message: signedBytes)
    }
}
