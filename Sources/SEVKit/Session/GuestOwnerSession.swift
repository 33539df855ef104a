import Crypto

/// The random values of one launch session, separate from the construction so tests (and
/// anyone reproducing a vector) can supply them; `.random()` is what real use takes.
public struct SessionRandomness: Sendable {
    /// The guest owner's ephemeral Diffie-Hellman key (GODH), as its raw scalar (swift-crypto's
    /// key type is not `Sendable`).
    public var godhKeyScalar: [UInt8]
    public var godhKey: P384.KeyAgreement.PrivateKey {
        // The scalar came from a valid key (the initialiser takes a key), so this cannot fail.
        try! P384.KeyAgreement.PrivateKey(rawRepresentation: godhKeyScalar)
    }
    public var tek: [UInt8]
    public var tik: [UInt8]
    public var nonce: [UInt8]
    public var wrapIV: [UInt8]

    public init(godhKey: P384.KeyAgreement.PrivateKey, tek: [UInt8], tik: [UInt8], nonce: [UInt8], wrapIV: [UInt8]) {
        precondition(tek.count == 16 && tik.count == 16 && nonce.count == 16 && wrapIV.count == 16)
        self.godhKeyScalar = [UInt8](godhKey.rawRepresentation)
        self.tek = tek
        self.tik = tik
        self.nonce = nonce
        self.wrapIV = wrapIV
    }

    /// Fresh values from the system's cryptographic generator.
    public static func random() -> SessionRandomness {
        var generator = SystemRandomNumberGenerator()
        func bytes() -> [UInt8] { (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
        return SessionRandomness(godhKey: P384.KeyAgreement.PrivateKey(), tek: bytes(), tik: bytes(), nonce: bytes(), wrapIV: bytes())
    }
}

/// The keys the KDF derives from the ECDH shared secret.
public struct SessionKeyEncryptionKeys: Sendable, Hashable {
    public var masterSecret: [UInt8]
    /// Key Encryption Key: encrypts TEK ‖ TIK.
    public var kek: [UInt8]
    /// Key Integrity Key: MACs the wrapped keys.
    public var kik: [UInt8]

    /// master = KDF(Z, "sev-master-secret", context NONCE); KEK = KDF(master, "sev-kek");
    /// KIK = KDF(master, "sev-kik"); 16 bytes each.
    public init(sharedSecret z: [UInt8], nonce: [UInt8]) {
        masterSecret = SEVKeyDerivation.derive(key: z, label: "sev-master-secret", context: nonce, length: 16)
        kek = SEVKeyDerivation.derive(key: masterSecret, label: "sev-kek", context: [], length: 16)
        kik = SEVKeyDerivation.derive(key: masterSecret, label: "sev-kik", context: [], length: 16)
    }
}

/// Why a session could not be built.
public enum SEVSessionError: Error, Sendable, Equatable, CustomStringConvertible {
    case certificate(SEVCertificateError)
    case untrustedChain(String)

    public var description: String {
        switch self {
        case .certificate(let error): error.description
        case .untrustedChain(let reason): reason
        }
    }
}

/// A guest owner's launch session with one platform: what the firmware receives at
/// LAUNCH_START (the GODH certificate and the session blob) and what the owner keeps (TEK and
/// TIK, for the measurement check and the secret).
///
/// The firmware recomputes the ECDH shared secret from the GODH and its PDH private key, runs
/// the same KDF, checks WRAP_MAC and POLICY_MAC, and unwraps TEK and TIK; so everything here is
/// the guest owner's half of that exchange.
public struct GuestOwnerSession: Sendable {
    public var godhCertificate: SEVPlatformCertificate
    public var blob: LaunchSessionBlob
    public var tek: [UInt8]
    public var tik: [UInt8]
    public var policy: UInt32

    /// Builds a session with `pdh` (already verified by the caller when it came with a chain).
    public init(pdh: SEVPlatformCertificate, policy: UInt32, randomness: SessionRandomness = .random()) throws(SEVSessionError) {
        guard pdh.usage == .pdh else {
            throw .certificate(.unexpectedUsage(position: "platform Diffie-Hellman certificate", expected: .pdh, found: pdh.usage))
        }
        guard pdh.algorithm.keyKind == .ecdh else {
            throw .certificate(.wrongKeyType(certificate: "PDH certificate", expected: "an ECDH P-384 key", found: "algorithm \(pdh.algorithm)"))
        }
        let platformKey: P384.KeyAgreement.PublicKey
        do {
            platformKey = try pdh.ecPublicKey(name: "PDH certificate").agreementKey(certificate: "PDH certificate")
        } catch {
            throw .certificate(error)
        }
        let z: [UInt8]
        do {
            let secret = try randomness.godhKey.sharedSecretFromKeyAgreement(with: platformKey)
            z = secret.withUnsafeBytes { Array($0) }
        } catch {
            throw .certificate(.invalidPublicKey(certificate: "PDH certificate", reason: "ECDH with the PDH key failed"))
        }
        let godhKey = SEVECPublicKey(x963: [UInt8](randomness.godhKey.publicKey.x963Representation))
        godhCertificate = SEVPlatformCertificate(usage: .pdh, algorithm: .ecdhSHA256, key: godhKey)
        blob = Self.wrap(
            sharedSecret: z, nonce: randomness.nonce, wrapIV: randomness.wrapIV,
            tek: randomness.tek, tik: randomness.tik, policy: policy)
        tek = randomness.tek
        tik = randomness.tik
        self.policy = policy
    }

    /// Builds a session after verifying the platform chain up to a genuine AMD root; refuses
    /// when any link is invalid.
    public init(chain: SEVPlatformChain, ca: AMDCAChain, policy: UInt32, randomness: SessionRandomness = .random()) throws(SEVSessionError) {
        let verification = SEVChainVerification(platform: chain, ca: ca)
        if let failed = verification.links.first(where: { !$0.verdict.isValid }) {
            throw .untrustedChain("certificate chain: \(failed.name): \(failed.verdict)")
        }
        guard verification.anchorProduct != nil else {
            throw .untrustedChain("certificate chain: the ARK is not a known AMD root key")
        }
        try self.init(pdh: chain.pdh, policy: policy, randomness: randomness)
    }

    /// The session blob from a shared secret and the chosen values (the vector-level step).
    public static func wrap(
        sharedSecret z: [UInt8], nonce: [UInt8], wrapIV: [UInt8], tek: [UInt8], tik: [UInt8], policy: UInt32
    ) -> LaunchSessionBlob {
        let keys = SessionKeyEncryptionKeys(sharedSecret: z, nonce: nonce)
        let wrapped = SEVKeyDerivation.aes128CTR(key: keys.kek, iv: wrapIV, tek + tik)
        return LaunchSessionBlob(
            nonce: nonce,
            wrappedKeys: wrapped,
            wrapIV: wrapIV,
            wrapMAC: SEVKeyDerivation.mac(key: keys.kik, wrapped),
            policyMAC: SEVKeyDerivation.mac(key: tik, policy.littleEndianBytes))
    }
}
