import _CryptoExtras
import SEVKit

/// The simulated firmware's stand-in for AMD's CA: an ARK and an ASK in AMD's CA format that
/// sign the simulated CEK, so an exported chain verifies link by link. The keys are 2048-bit
/// (AMD's Naples size, SHA-256 PSS) to keep creating a simulator quick; the ARK is of course
/// not one of AMD's, and `sevhost verify` says so.
///
/// Only the public chain is kept (`DIR/ask_ark.cert`): the CEK never changes, so nothing needs
/// the ASK's private key after it signed the CEK once.
enum SimulatedAMDCA {
    static let fileName = "ask_ark.cert"

    /// A new ARK and ASK, and `cek` signed by the ASK (in signature slot 0, as AMD's CEKs are).
    static func make(signing cek: inout SEVPlatformCertificate) throws -> AMDCAChain {
        let arkKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let askKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let arkID = randomBytes(16), askID = randomBytes(16)
        let ark = try AMDCACertificate(
            issuing: arkKey.publicKey, keyID: arkID, certifyingID: arkID, usage: .ark, signedBy: arkKey, name: "simulated ARK")
        let ask = try AMDCACertificate(
            issuing: askKey.publicKey, keyID: askID, certifyingID: arkID, usage: .ask, signedBy: arkKey, name: "simulated ASK")
        try cek.sign(slot: 0, with: askKey, usage: .ask)
        return AMDCAChain(ask: ask, ark: ark)
    }

    static func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
}
