import Crypto
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

final class IDBlockTests: XCTestCase {
    private func vectors() throws -> [[String: Any]] {
        let json = try XCTUnwrap(TestData.json("launch-vectors.json") as? [String: Any])
        let section = try XCTUnwrap(json["snp_id_block"] as? [String: Any])
        return try XCTUnwrap(section["vectors"] as? [[String: Any]])
    }

    private func key(_ path: String) throws -> P384.Signing.PrivateKey {
        try SigningKeyFile.privateKey(pem: String(decoding: try TestData.bytes(path), as: UTF8.self), name: path)
    }

    /// Both ID block vectors (virtee/sev with PKCS#8 keys, sev-snp-measure with SEC1 keys): the
    /// block bytes and the ID/author key digests.
    func testIDBlockAndKeyDigestVectors() throws {
        for v in try vectors() where v["expected_id_block_b64"] != nil {
            let id = v["id"] as! String
            let digest: [UInt8]
            if let hex = v["launch_digest_hex"] as? String { digest = Hex.decode(hex)! } else {
                digest = [UInt8](Data(base64Encoded: v["launch_digest_b64"] as! String)!)
            }
            let block = try IDBlock(launchDigest: digest, policy: 0x30000)
            XCTAssertEqual(Data(block.bytes).base64EncodedString(), v["expected_id_block_b64"] as? String, id)
            let idKey = try key(v["id_key"] as! String)
            let authorKey = try key(v["author_key"] as! String)
            XCTAssertEqual(Data(SEVECDSAPublicKey(idKey.publicKey).digest).base64EncodedString(), v["expected_id_key_digest_b64"] as? String, id)
            let authorExpected = (v["expected_auth_key_digest_b64"] ?? v["expected_author_key_digest_b64"]) as? String
            XCTAssertEqual(Data(SEVECDSAPublicKey(authorKey.publicKey).digest).base64EncodedString(), authorExpected, id)
        }
    }

    /// virtee test_auth_block_generation: the 4096-byte auth info from the two keys and the two
    /// pre-made signatures is byte-identical to test_auth_block.bin, and both signatures verify.
    func testAuthInfoFromFixedSignaturesIsByteIdentical() throws {
        let v = try XCTUnwrap(vectors().first { $0["id"] as? String == "virtee_sev_id_auth_block" })
        let inputs = try XCTUnwrap(v["inputs"] as? [String: String])
        let idKey = try key(inputs["id_key"]!)
        let authorKey = try key(inputs["author_key"]!)
        func sig(_ path: String) throws -> AMDECDSASignature {
            let b = try TestData.bytes(path)
            XCTAssertEqual(b.count, 512)
            XCTAssertTrue(b[144...].allSatisfy { $0 == 0 })
            return AMDECDSASignature(r: Array(b[0..<72]), s: Array(b[72..<144]))
        }
        let auth = IDAuthInfo(
            idBlockSignature: try sig(inputs["id_block_sig"]!), idKey: SEVECDSAPublicKey(idKey.publicKey),
            authorSignature: try sig(inputs["author_sig"]!), authorKey: SEVECDSAPublicKey(authorKey.publicKey))
        let expected = try TestData.bytes(v["expected_id_auth_file"] as! String)
        XCTAssertEqual(auth.bytes.count, 4096)
        XCTAssertEqual(auth.bytes, expected)
        let blockVector = try XCTUnwrap(vectors().first { $0["id"] as? String == "virtee_sev_id_block" })
        let block = try IDBlock(launchDigest: Hex.decode(blockVector["launch_digest_hex"] as! String)!, policy: 0x30000)
        XCTAssertTrue(auth.verifies(block))
        var other = block
        other.guestSVN = 1
        XCTAssertFalse(auth.verifies(other))
        // The public-key structure round-trips.
        XCTAssertEqual(try SEVECDSAPublicKey(bytes: Array(expected[0x240..<0x644])), auth.idKey)
    }

    func testSignedAuthInfoVerifiesAndLaysOutFields() throws {
        let idKey = P384.Signing.PrivateKey()
        let authorKey = P384.Signing.PrivateKey()
        let block = try IDBlock(launchDigest: [UInt8](repeating: 7, count: 48), guestSVN: 3, policy: 0x30000)
        let auth = try IDAuthInfo.sign(block, idKey: idKey, authorKey: authorKey)
        XCTAssertTrue(auth.verifies(block))
        let b = auth.bytes
        XCTAssertEqual(Array(b[0..<8]), [1, 0, 0, 0, 1, 0, 0, 0])
        XCTAssertEqual(Array(b[0x240..<0x644]), SEVECDSAPublicKey(idKey.publicKey).bytes)
        XCTAssertEqual(Array(b[0x880..<0xC84]), SEVECDSAPublicKey(authorKey.publicKey).bytes)
        XCTAssertTrue(b[0xC84...].allSatisfy { $0 == 0 })
        let noAuthor = try IDAuthInfo.sign(block, idKey: idKey, authorKey: nil).bytes
        XCTAssertEqual(Array(noAuthor[4..<8]), [0, 0, 0, 0])
        XCTAssertTrue(noAuthor[0x680...].allSatisfy { $0 == 0 })
    }

    func testBadInputsAreNamed() {
        XCTAssertThrowsError(try IDBlock(launchDigest: [0], policy: 0x30000)) { error in
            XCTAssertEqual("\(error)", "measurement: expected 48 bytes (SHA-384), got 1")
        }
        XCTAssertThrowsError(try IDBlock(launchDigest: [UInt8](repeating: 0, count: 48), policy: 0x1)) { error in
            XCTAssertEqual("\(error)", "policy 0x1 is not an SNP launch policy: reserved bit 17 must be 1 (e.g. 0x30000)")
        }
        XCTAssertThrowsError(try SigningKeyFile.privateKey(pem: "nope", name: "k.pem")) { error in
            XCTAssertEqual("\(error)", "k.pem: not a P-384 private key in PEM (SEC1 'EC PRIVATE KEY' or PKCS#8 'PRIVATE KEY')")
        }
    }
}
