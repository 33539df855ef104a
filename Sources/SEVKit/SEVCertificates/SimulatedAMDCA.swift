import _CryptoExtras

/// A stand-in for AMD's CA for software firmware: an ARK and an ASK in AMD's CA format that
/// sign a simulated CEK, so a simulated platform's exported chain verifies link by link.
///
/// Both of sevhost's simulated firmwares (`SEVLaunchSimulator` behind sevhost-sim, and
/// `SEVPlatformSimulator` behind `--firmware sim:DIR`) stand theirs up through this one type,
/// so the two chains share one layout and one signing rule. The keys are RSA-2048 (AMD's Naples
/// size, SHA-256 PSS) to keep creating a platform quick; the ARK is of course not one of AMD's,
/// and `sevhost verify` and every other verifier pinning AMD's roots say so.
public struct SimulatedAMDCA: @unchecked Sendable {
    // `_RSA.Signing.PrivateKey` is an immutable value that swift-crypto does not mark Sendable.
    public let arkKey: _RSA.Signing.PrivateKey
    public let askKey: _RSA.Signing.PrivateKey
    /// The 16-byte key ids in the certificates (the ASK's certifying id is the ARK's key id).
    public let arkID: [UInt8]
    public let askID: [UInt8]
    /// The ASK and ARK certificates, each signed by the ARK.
    public let chain: AMDCAChain

    /// The CA of these keys and ids; the certificates are signed anew (RSA-PSS is randomised,
    /// so they differ byte for byte from an earlier signing, but verify the same).
    public init(arkKey: _RSA.Signing.PrivateKey, askKey: _RSA.Signing.PrivateKey, arkID: [UInt8], askID: [UInt8]) throws {
        self.arkKey = arkKey
        self.askKey = askKey
        self.arkID = arkID
        self.askID = askID
        let ark = try AMDCACertificate(
            issuing: arkKey.publicKey, keyID: arkID, certifyingID: arkID, usage: .ark, signedBy: arkKey, name: "simulated ARK")
        let ask = try AMDCACertificate(
            issuing: askKey.publicKey, keyID: askID, certifyingID: arkID, usage: .ask, signedBy: arkKey, name: "simulated ASK")
        chain = AMDCAChain(ask: ask, ark: ark)
    }

    /// A new CA: fresh keys and random key ids from the system generator.
    public static func generate() throws -> SimulatedAMDCA {
        func id() -> [UInt8] {
            var generator = SystemRandomNumberGenerator()
            return (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
        return try SimulatedAMDCA(
            arkKey: _RSA.Signing.PrivateKey(keySize: .bits2048), askKey: _RSA.Signing.PrivateKey(keySize: .bits2048),
            arkID: id(), askID: id())
    }

    /// Signs `cek` with the ASK, in signature slot 0, as AMD signs every CEK.
    public func sign(_ cek: inout SEVPlatformCertificate) throws {
        try cek.sign(slot: 0, with: askKey, usage: .ask)
    }
}
