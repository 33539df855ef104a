/// The roots of trust: SHA-256 fingerprints of the DER SubjectPublicKeyInfo of AMD's ARK
/// (AMD Root Key) for each product.
///
/// Pinning the key rather than a certificate file means that an ARK fetched from KDS, or handed
/// over by a user, is trusted only when its key is one of these; a self-signed look-alike is not.
/// Milan, Genoa and Turin were computed from the X.509 ARKs AMD publishes (and equal the keys of
/// the legacy SEV-format ARKs); Naples and Rome exist only in the legacy format, their
/// fingerprint is of the same RSA key encoded as an `rsaEncryption` SubjectPublicKeyInfo.
public enum SNPTrustAnchors {
    public static let arkFingerprints: [AMDProduct: String] = [
        .naples: "3a04f8f1347de206c9206a81148ba4ef0a233b245d43a15dd82de043bb3e4f69",
        .rome: "7447ffa21e2b938bfade89f5e9066c00a328813bfc43685605cceabd18da6fde",
        .milan: "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9",
        .genoa: "429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831",
        .turin: "4f125410563a2ab9a50356f9243f6fe0b6f73de98603f53f90339c70e9d7ad08",
    ]

    /// The product whose ARK has this SubjectPublicKeyInfo fingerprint, or nil.
    public static func product(forARKFingerprint fingerprint: [UInt8]) -> AMDProduct? {
        let hex = Hex.encode(fingerprint)
        return arkFingerprints.first(where: { $0.value == hex })?.key
    }

    /// The product whose pinned ARK key `certificate` carries, or nil.
    public static func product(of certificate: SNPCertificate) -> AMDProduct? {
        product(forARKFingerprint: certificate.publicKeyFingerprint)
    }
}
