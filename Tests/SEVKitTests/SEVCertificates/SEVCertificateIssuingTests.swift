import Crypto
import _CryptoExtras
import SEVKit
import SEVTestSupport
import XCTest

/// The certificates SEVKit issues for the two software firmwares (AMD's CA format, and the
/// firmware's own OCA, PEK and PDH), and the decoding errors both certificate formats share.
final class SEVCertificateIssuingTests: XCTestCase {
    func testIssuedCAHasAMDsLayoutAndSignsTheCEK() throws {
        let arkKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let askKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let arkID = [UInt8](repeating: 0xa1, count: 16), askID = [UInt8](repeating: 0xa2, count: 16)
        let ark = try AMDCACertificate(
            issuing: arkKey.publicKey, keyID: arkID, certifyingID: arkID, usage: .ark, signedBy: arkKey, name: "test ARK")
        let ask = try AMDCACertificate(
            issuing: askKey.publicKey, keyID: askID, certifyingID: arkID, usage: .ask, signedBy: arkKey, name: "test ASK")
        for certificate in [ark, ask] {
            // AMD's layout: the exponent field is as wide as the modulus.
            XCTAssertEqual(certificate.publicExponentBits, 2048)
            XCTAssertEqual(certificate.modulusBits, 2048)
            XCTAssertEqual(certificate.publicExponent.count, 256)
            XCTAssertEqual(Array(certificate.publicExponent.prefix(4)), [0x01, 0x00, 0x01, 0x00])
            XCTAssertEqual(certificate.signature.count, 256)
            XCTAssertEqual(certificate.digest, .sha256)
        }
        XCTAssertEqual(ark.keyID, arkID)
        XCTAssertEqual(ask.certifyingID, arkID)
        XCTAssertTrue(ark.isSelfIssued)
        XCTAssertFalse(ask.isSelfIssued)

        let cekKey = P384.Signing.PrivateKey()
        var cek = SEVPlatformCertificate(usage: .cek, ecdsaKey: cekKey.publicKey, apiMajor: 1, apiMinor: 55)
        try cek.sign(slot: 0, with: askKey, usage: .ask)
        XCTAssertEqual(cek.signatures[0].usage, .ask)
        XCTAssertEqual(cek.signatures[0].algorithm, .rsaSHA256)
        XCTAssertTrue(cek.signatures[0].signature[256...].allSatisfy { $0 == 0 })
        XCTAssertTrue(cek.signatures[1].isEmpty)
        XCTAssertEqual(SEVCertificateVerifier.verify(cek, signedBy: ask), .valid)
        XCTAssertEqual(SEVCertificateVerifier.verify(ask, signedBy: ark), .valid)
        XCTAssertEqual(SEVCertificateVerifier.verify(ark, signedBy: ark), .valid)
        XCTAssertNil(AMDLegacyRootKeys.product(of: ark))

        // A CEK signed by another ASK key fails at exactly that link.
        var forged = cek
        try forged.sign(slot: 0, with: arkKey, usage: .ask)
        XCTAssertEqual(SEVCertificateVerifier.verify(forged, signedBy: ask), .invalid(reason: "the ASK signature on the CEK does not verify"))
    }

    /// The OCA, PEK and PDH as a firmware issues them, under a CA issued here: every link of
    /// the chain verifies, and only the root is not AMD's.
    func testFirmwareIssuedChainVerifiesLinkByLink() throws {
        let arkKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let askKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let arkID = [UInt8](repeating: 0xb1, count: 16), askID = [UInt8](repeating: 0xb2, count: 16)
        let ca = AMDCAChain(
            ask: try AMDCACertificate(
                issuing: askKey.publicKey, keyID: askID, certifyingID: arkID, usage: .ask, signedBy: arkKey, name: "test ASK"),
            ark: try AMDCACertificate(
                issuing: arkKey.publicKey, keyID: arkID, certifyingID: arkID, usage: .ark, signedBy: arkKey, name: "test ARK"))
        let cekKey = P384.Signing.PrivateKey(), ocaKey = P384.Signing.PrivateKey(), pekKey = P384.Signing.PrivateKey()
        let pdhKey = P384.KeyAgreement.PrivateKey()
        var cek = SEVPlatformCertificate(usage: .cek, ecdsaKey: cekKey.publicKey, apiMajor: 1, apiMinor: 55)
        try cek.sign(slot: 0, with: askKey, usage: .ask)
        let oca = try SEVPlatformCertificate.selfSignedOCA(key: ocaKey, apiMajor: 1, apiMinor: 55)
        let pek = try SEVPlatformCertificate.pek(key: pekKey.publicKey, oca: ocaKey, cek: cekKey, apiMajor: 1, apiMinor: 55)
        let pdh = try SEVPlatformCertificate.pdh(key: pdhKey.publicKey, pek: pekKey, apiMajor: 1, apiMinor: 55)
        XCTAssertEqual([oca.usage, pek.usage, pdh.usage], [.oca, .pek, .pdh])
        XCTAssertEqual([oca.signatures[0].usage, pek.signatures[0].usage, pek.signatures[1].usage, pdh.signatures[0].usage], [.oca, .oca, .cek, .pek])
        XCTAssertTrue(oca.signatures[1].isEmpty)
        XCTAssertTrue(pdh.signatures[1].isEmpty)
        XCTAssertEqual(pdh.algorithm, .ecdhSHA256)
        XCTAssertEqual([oca.apiMajor, oca.apiMinor, pdh.apiMajor, pdh.apiMinor], [1, 55, 1, 55])

        let result = SEVChainVerification(platform: SEVPlatformChain(pdh: pdh, pek: pek, oca: oca, cek: cek), ca: ca)
        for link in result.links { XCTAssertEqual(link.verdict, .valid, link.name) }
        XCTAssertNil(result.anchorProduct)

        // A PDH signed by the OCA instead of the PEK fails at exactly that link.
        let misissued = try SEVPlatformCertificate.pdh(key: pdhKey.publicKey, pek: ocaKey, apiMajor: 1, apiMinor: 55)
        XCTAssertEqual(
            SEVChainVerification(platform: SEVPlatformChain(pdh: misissued, pek: pek, oca: oca, cek: cek), ca: ca).pdhByPEK,
            .invalid(reason: "the PEK signature on the PDH does not verify"))
    }

    /// Both formats reject a wrong version and trailing bytes in the same words.
    func testAMDCAVersionAndTrailingBytesErrors() throws {
        let ark = try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/ark.cert")
        var version = ark
        version[0] = 3
        XCTAssertThrowsError(try AMDCACertificate(bytes: version, name: "ark.cert")) { error in
            XCTAssertEqual("\(error)", "ark.cert, offset 0 (0x0): version: expected 1, found 3")
        }
        XCTAssertThrowsError(try AMDCACertificate(bytes: ark + [0, 0], name: "ark.cert")) { error in
            XCTAssertEqual("\(error)", "ark.cert, offset \(ark.count) (0x\(String(ark.count, radix: 16))): 2 unexpected bytes after the certificate")
        }
    }
}
