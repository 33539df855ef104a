import Crypto
import _CryptoExtras
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// `launch-vectors.json` → `session`, and a session opened the way the firmware opens it.
final class SessionVectorTests: XCTestCase {
    private func vector(_ id: String) throws -> [String: Any] {
        let root = try XCTUnwrap(TestData.json("launch-vectors.json") as? [String: Any])
        let vectors = try XCTUnwrap((root["session"] as? [String: Any])?["vectors"] as? [[String: Any]])
        return try XCTUnwrap(vectors.first { $0["id"] as? String == id }, id)
    }

    private func hex(_ value: Any?) throws -> [UInt8] {
        try XCTUnwrap(Hex.decode(try XCTUnwrap(value as? String)))
    }

    func testKDFMasterSecretVector() throws {
        let v = try vector("kdf_master_secret")
        let derived = SEVKeyDerivation.derive(
            key: try hex(v["key_hex"]), label: try XCTUnwrap(v["label"] as? String),
            context: try hex(v["context_hex"]), length: try XCTUnwrap(v["length"] as? Int))
        XCTAssertEqual(Hex.encode(derived), v["expected_hex"] as? String)
    }

    func testHMACZeroKeyVector() throws {
        let v = try vector("hmac_zero_key")
        XCTAssertEqual(Hex.encode(SEVKeyDerivation.mac(key: try hex(v["key_hex"]), try hex(v["message_hex"]))),
                       v["expected_hmac_sha256_hex"] as? String)
    }

    func testSessionWrapVector() throws {
        let v = try vector("launch_start_session_wrap")
        let expected = try XCTUnwrap(v["expected"] as? [String: Any])
        let derivedExpected = try XCTUnwrap(v["derived_by_independent"] as? [String: Any])
        let z = try hex(v["shared_secret_z_hex"]), nonce = try hex(v["nonce_hex"])
        let keys = SessionKeyEncryptionKeys(sharedSecret: z, nonce: nonce)
        XCTAssertEqual(Hex.encode(keys.masterSecret), derivedExpected["master_hex"] as? String)
        XCTAssertEqual(Hex.encode(keys.kek), derivedExpected["kek_hex"] as? String)
        XCTAssertEqual(Hex.encode(keys.kik), derivedExpected["kik_hex"] as? String)
        let blob = GuestOwnerSession.wrap(
            sharedSecret: z, nonce: nonce, wrapIV: try hex(v["iv_hex"]),
            tek: try hex(v["tek_hex"]), tik: try hex(v["tik_hex"]), policy: 0)
        XCTAssertEqual(Hex.encode(blob.wrapIV), expected["wrap_iv_hex"] as? String)
        XCTAssertEqual(Hex.encode(blob.nonce), expected["nonce_hex"] as? String)
        XCTAssertEqual(Hex.encode(blob.wrappedKeys), expected["wrap_tk_hex"] as? String)
        XCTAssertEqual(Hex.encode(blob.wrapMAC), expected["wrap_mac_hex"] as? String)
        XCTAssertEqual(Hex.encode(blob.policyMAC), expected["policy_mac_hex"] as? String)
        XCTAssertEqual(blob.encoded.count, 128)
        XCTAssertEqual(try LaunchSessionBlob(bytes: blob.encoded), blob)
    }

    func testSessionStartWithNaplesChain() throws {
        let v = try vector("session_start_with_naples_chain")
        let inputs = try XCTUnwrap(v["inputs"] as? [String: String])
        func platform(_ key: String) throws -> SEVPlatformCertificate {
            try SEVPlatformCertificate(bytes: try TestData.bytes(try XCTUnwrap(inputs[key])))
        }
        func ca(_ key: String) throws -> AMDCACertificate {
            try AMDCACertificate(bytes: try TestData.bytes(try XCTUnwrap(inputs[key])))
        }
        let chain = SEVPlatformChain(pdh: try platform("pdh"), pek: try platform("pek"), oca: try platform("oca"), cek: try platform("cek"))
        let caChain = AMDCAChain(ask: try ca("ask"), ark: try ca("ark"))
        let session = try GuestOwnerSession(chain: chain, ca: caChain, policy: 0)
        XCTAssertEqual(session.godhCertificate.usage, .pdh)
        XCTAssertEqual(session.blob.encoded.count, 128)

        var tampered = chain
        tampered.pdh.publicKeyField[0x30] ^= 0x80
        XCTAssertThrowsError(try GuestOwnerSession(chain: tampered, ca: caChain, policy: 0)) { error in
            XCTAssertEqual("\(error)", "certificate chain: PDH signed by PEK: invalid: the PEK signature on the PDH does not verify")
        }
    }

    func testInjectedRandomnessIsReproducible() throws {
        let pdhKey = P384.KeyAgreement.PrivateKey()
        let pdh = SEVPlatformCertificate(usage: .pdh, algorithm: .ecdhSHA256, key: SEVECPublicKey(x963: [UInt8](pdhKey.publicKey.x963Representation)))
        let godh = P384.KeyAgreement.PrivateKey()
        let randomness = SessionRandomness(
            godhKey: godh, tek: Array(repeating: 1, count: 16), tik: Array(repeating: 2, count: 16),
            nonce: Array(repeating: 3, count: 16), wrapIV: Array(repeating: 4, count: 16))
        let a = try GuestOwnerSession(pdh: pdh, policy: 0x1, randomness: randomness)
        let b = try GuestOwnerSession(pdh: pdh, policy: 0x1, randomness: randomness)
        XCTAssertEqual(a.blob, b.blob)
        XCTAssertEqual(a.godhCertificate.encoded, b.godhCertificate.encoded)
        let fresh = try GuestOwnerSession(pdh: pdh, policy: 0x1)
        XCTAssertNotEqual(fresh.blob.nonce, a.blob.nonce)
        XCTAssertNotEqual(fresh.tek, fresh.tik)
    }

    func testSessionRefusesANonPDH() throws {
        let pek = try SEVPlatformCertificate(bytes: try TestData.bytes("virtee-sev/tests/rome/pek.cert"))
        XCTAssertThrowsError(try GuestOwnerSession(pdh: pek, policy: 0)) { error in
            XCTAssertEqual("\(error)", "platform Diffie-Hellman certificate: expected the PDH certificate, found key usage PEK")
        }
        var ecdsaPDH = try SEVPlatformCertificate(bytes: try TestData.bytes("virtee-sev/tests/rome/pdh.cert"))
        ecdsaPDH.algorithm = .ecdsaSHA256
        XCTAssertThrowsError(try GuestOwnerSession(pdh: ecdsaPDH, policy: 0)) { error in
            XCTAssertEqual("\(error)", "PDH certificate: wrong key type: expected an ECDH P-384 key, found algorithm ECDSA-SHA256")
        }
    }

    /// The firmware's side, written here independently of SEVKit's session code: parse the GODH
    /// from its bytes, ECDH with the PDH private key, SP 800-108 KDF, check WRAP_MAC, decrypt.
    func testSessionOpensWithThePDHPrivateKey() throws {
        let pdhKey = P384.KeyAgreement.PrivateKey()
        let pdh = SEVPlatformCertificate(usage: .pdh, algorithm: .ecdhSHA256, key: SEVECPublicKey(x963: [UInt8](pdhKey.publicKey.x963Representation)))
        let policy: UInt32 = 0x0005_0033
        let session = try GuestOwnerSession(pdh: try SEVPlatformCertificate(bytes: pdh.encoded), policy: policy)

        let godhBytes = session.godhCertificate.encoded
        XCTAssertEqual(godhBytes.count, 2084)
        XCTAssertEqual(Array(godhBytes[0..<4]), [1, 0, 0, 0])
        XCTAssertEqual(Array(godhBytes[8..<12]), [0x03, 0x10, 0, 0])     // usage PDH
        XCTAssertEqual(Array(godhBytes[12..<16]), [0x03, 0, 0, 0])       // ECDH-SHA256
        XCTAssertEqual(Array(godhBytes[16..<20]), [2, 0, 0, 0])          // P-384
        XCTAssertEqual(Array(godhBytes[0x414..<0x41C]), [0, 0x10, 0, 0, 0, 0, 0, 0])
        let qx = Array(godhBytes[20..<68].reversed()), qy = Array(godhBytes[92..<140].reversed())
        XCTAssertTrue(godhBytes[68..<92].allSatisfy { $0 == 0 } && godhBytes[140..<0x414].allSatisfy { $0 == 0 })
        let godhPublic = try P384.KeyAgreement.PublicKey(x963Representation: [0x04] + qx + qy)
        let z = try pdhKey.sharedSecretFromKeyAgreement(with: godhPublic).withUnsafeBytes { Array($0) }

        let blob = session.blob.encoded
        let nonce = Array(blob[0..<16]), wrapTK = Array(blob[16..<48]), wrapIV = Array(blob[48..<64])
        let wrapMAC = Array(blob[64..<96]), policyMAC = Array(blob[96..<128])

        func kdf(_ key: [UInt8], _ label: String, _ context: [UInt8]) -> [UInt8] {
            // L = 128 bits needs one HMAC-SHA256 block.
            let message: [UInt8] = [1, 0, 0, 0] + Array(label.utf8) + [0] + context + [128, 0, 0, 0]
            return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)).prefix(16))
        }
        let master = kdf(z, "sev-master-secret", nonce)
        let kek = kdf(master, "sev-kek", []), kik = kdf(master, "sev-kik", [])
        XCTAssertEqual(Array(HMAC<SHA256>.authenticationCode(for: wrapTK, using: SymmetricKey(data: kik))), wrapMAC)
        let unwrapped = [UInt8](try AES._CTR.decrypt(wrapTK, using: SymmetricKey(data: kek), nonce: try AES._CTR.Nonce(nonceBytes: wrapIV)))
        XCTAssertEqual(Array(unwrapped[0..<16]), session.tek)
        XCTAssertEqual(Array(unwrapped[16..<32]), session.tik)
        XCTAssertEqual(Array(HMAC<SHA256>.authenticationCode(for: [0x33, 0, 0x05, 0], using: SymmetricKey(data: session.tik))), policyMAC)

        // Someone else's PDH key cannot open it.
        let other = P384.KeyAgreement.PrivateKey()
        let wrongZ = try other.sharedSecretFromKeyAgreement(with: godhPublic).withUnsafeBytes { Array($0) }
        let wrongKIK = kdf(kdf(wrongZ, "sev-master-secret", nonce), "sev-kik", [])
        XCTAssertNotEqual(Array(HMAC<SHA256>.authenticationCode(for: wrapTK, using: SymmetricKey(data: wrongKIK))), wrapMAC)
    }
}
