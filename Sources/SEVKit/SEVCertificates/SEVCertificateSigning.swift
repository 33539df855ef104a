import Crypto

/// Signing of SEV platform certificates with P-384 ECDSA: what the firmware does for the PEK,
/// PDH and a self-owned OCA, and what a platform owner does for its own OCA and the PEK it
/// certifies (`sevhost generate`, `sevhost provision`).
///
/// The algorithms are the SHA-256 ones (ECDSA-SHA256, ECDH-SHA256) because that is what AMD
/// firmware issues and sevctl's OCAs carry: the keys are P-384, the digest is SHA-256.
extension SEVPlatformCertificate {
    /// A fresh, unsigned ECDSA certificate for `key`.
    public init(usage: SEVKeyUsage, ecdsaKey key: P384.Signing.PublicKey, apiMajor: UInt8, apiMinor: UInt8) {
        self.init(
            usage: usage, algorithm: .ecdsaSHA256, key: SEVECPublicKey(x963: [UInt8](key.x963Representation)),
            apiMajor: apiMajor, apiMinor: apiMinor)
    }

    /// A fresh, unsigned ECDH certificate (the PDH).
    public init(usage: SEVKeyUsage, ecdhKey key: P384.KeyAgreement.PublicKey, apiMajor: UInt8, apiMinor: UInt8) {
        self.init(
            usage: usage, algorithm: .ecdhSHA256, key: SEVECPublicKey(x963: [UInt8](key.x963Representation)),
            apiMajor: apiMajor, apiMinor: apiMinor)
    }

    /// Puts an ECDSA-SHA256 signature by `signer` (a key of usage `signerUsage`) into slot
    /// `slot` (0 or 1).
    public mutating func sign(slot: Int, with signer: P384.Signing.PrivateKey, usage signerUsage: SEVKeyUsage) throws {
        let signature = try signer.signature(for: SHA256.hash(data: signedBytes))
        signatures[slot] = SEVSignatureSlot(
            usage: signerUsage, algorithm: .ecdsaSHA256, signature: SEVCertificateVerifier.encodeECDSA(signature))
    }
}

/// The certificates an SEV firmware issues for its own keys (SEV API 55766, "Platform
/// Ownership" and PDH_GEN): who signs which, and in which slot.
///
/// Both software firmwares (`SEVLaunchSimulator` behind sevhost-sim, `SEVPlatformSimulator` behind
/// `--firmware sim:DIR`) and `sevhost generate` issue these; one piece of code serves all so that
/// the certification rule exists once and every chain they make has the shape a real PSP's has.
extension SEVPlatformCertificate {
    /// A self-signed OCA (slot 0): a self-owned platform's, or an owner's own (API 0.0).
    public static func selfSignedOCA(key: P384.Signing.PrivateKey, apiMajor: UInt8, apiMinor: UInt8) throws -> SEVPlatformCertificate {
        var oca = SEVPlatformCertificate(usage: .oca, ecdsaKey: key.publicKey, apiMajor: apiMajor, apiMinor: apiMinor)
        try oca.sign(slot: 0, with: key, usage: .oca)
        return oca
    }

    /// A PEK certified by the OCA (slot 0) and the CEK (slot 1).
    public static func pek(
        key: P384.Signing.PublicKey, oca: P384.Signing.PrivateKey, cek: P384.Signing.PrivateKey, apiMajor: UInt8, apiMinor: UInt8
    ) throws -> SEVPlatformCertificate {
        var pek = SEVPlatformCertificate(usage: .pek, ecdsaKey: key, apiMajor: apiMajor, apiMinor: apiMinor)
        try pek.sign(slot: 0, with: oca, usage: .oca)
        try pek.sign(slot: 1, with: cek, usage: .cek)
        return pek
    }

    /// A PDH (an ECDH key) certified by the PEK (slot 0).
    public static func pdh(
        key: P384.KeyAgreement.PublicKey, pek: P384.Signing.PrivateKey, apiMajor: UInt8, apiMinor: UInt8
    ) throws -> SEVPlatformCertificate {
        var pdh = SEVPlatformCertificate(usage: .pdh, ecdhKey: key, apiMajor: apiMajor, apiMinor: apiMinor)
        try pdh.sign(slot: 0, with: pek, usage: .pek)
        return pdh
    }
}
