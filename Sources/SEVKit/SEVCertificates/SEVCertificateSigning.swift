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
