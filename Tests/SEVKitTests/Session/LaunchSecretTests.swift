import Crypto
import _CryptoExtras
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// `launch-vectors.json` → `launch_secret` (sevctl's secret build test data).
final class LaunchSecretTests: XCTestCase {
    private struct Common {
        var tek: [UInt8], tik: [UInt8], measurement: [UInt8], iv: [UInt8]
    }

    private func load() throws -> (Common, [[String: Any]]) {
        let root = try XCTUnwrap(TestData.json("launch-vectors.json") as? [String: Any])
        let section = try XCTUnwrap(root["launch_secret"] as? [String: Any])
        let common = try XCTUnwrap(section["common"] as? [String: String])
        let tek = try TestData.bytes(common["tek_file"]!), tik = try TestData.bytes(common["tik_file"]!)
        XCTAssertEqual(Hex.encode(tek), common["tek_hex"])
        XCTAssertEqual(Hex.encode(tik), common["tik_hex"])
        return (
            Common(
                tek: tek, tik: tik,
                measurement: [UInt8](Data(base64Encoded: common["launch_measure_blob_b64"]!)!),
                iv: [UInt8](Data(base64Encoded: common["iv_b64"]!)!)),
            try XCTUnwrap(section["vectors"] as? [[String: Any]]))
    }

    private func table(_ v: [String: Any]) throws -> SecretTable {
        let secrets = try XCTUnwrap(v["secrets"] as? [[String: Any]])
        return SecretTable(entries: try secrets.map { secret in
            SecretTable.Entry(guid: try XCTUnwrap(GUID(secret["guid"] as! String)), data: try TestData.bytes(secret["file"] as! String))
        })
    }

    func testExactVectors() throws {
        let (common, vectors) = try load()
        for id in ["secret_single", "secret_two"] {
            let v = try XCTUnwrap(vectors.first { $0["id"] as? String == id })
            let packet = try LaunchSecretPacket(table: try table(v), tek: common.tek, tik: common.tik, measurement: common.measurement, iv: common.iv)
            XCTAssertEqual(Data(packet.header).base64EncodedString(), v["expected_header_b64"] as? String, id)
            XCTAssertEqual(Data(packet.payload).base64EncodedString(), v["expected_payload_b64"] as? String, id)
            // Passing only the 32-byte measurement gives the same packet.
            let same = try LaunchSecretPacket(table: try table(v), tek: common.tek, tik: common.tik, measurement: Array(common.measurement.prefix(32)), iv: common.iv)
            XCTAssertEqual(same, packet, id)
        }
        let single = try XCTUnwrap(vectors.first { $0["id"] as? String == "secret_single" })
        XCTAssertEqual(try table(single).encoded().count, single["plaintext_table_len_derived"] as? Int)
    }

    func testTableLayout() throws {
        let table = SecretTable(entries: [
            .init(guid: WellKnownSecretGUID.parse("luks-key")!, data: Array("MY-LUKS-PASSPHRASE".utf8)),
        ])
        let bytes = try table.encoded()
        XCTAssertEqual(Hex.encode(bytes),
            "42f5741edd71664d963eef4287ff173b" + "3a000000" + "e5696873f084734992ec06879ce3da0b" + "26000000"
            + Hex.encode(Array("MY-LUKS-PASSPHRASE".utf8)) + "000000000000")
    }

    func testMaximumSizes() throws {
        let (common, vectors) = try load()
        for id in ["secret_max_size_16343", "secret_max_size_16344"] {
            let v = try XCTUnwrap(vectors.first { $0["id"] as? String == id })
            let packet = try LaunchSecretPacket(table: try table(v), tek: common.tek, tik: common.tik, measurement: common.measurement, iv: common.iv)
            XCTAssertEqual(packet.payload.count, 16384, id)
        }
        let tooLarge = SecretTable(entries: [.init(guid: GUID("23058844-597b-42fb-8259-a0f5d9d495af")!, data: Array(repeating: 0x2e, count: 16345))])
        XCTAssertThrowsError(try tooLarge.encoded()) { error in
            XCTAssertEqual("\(error)", "secret table: 16400 bytes (padded) exceeds the maximum of 16384 bytes")
        }
    }

    func testRandomIVsDiffer() throws {
        let (common, _) = try load()
        let table = SecretTable(entries: [.init(guid: WellKnownSecretGUID.parse("luks-key")!, data: [1, 2, 3])])
        let a = try LaunchSecretPacket(table: table, tek: common.tek, tik: common.tik, measurement: common.measurement, iv: LaunchSecretPacket.randomIV())
        let b = try LaunchSecretPacket(table: table, tek: common.tek, tik: common.tik, measurement: common.measurement, iv: LaunchSecretPacket.randomIV())
        XCTAssertNotEqual(a.header, b.header)
        XCTAssertNotEqual(a.payload, b.payload)
    }

    func testRejections() throws {
        let guid = GUID("736869e5-84f0-4973-92ec-06879ce3da0b")!
        XCTAssertThrowsError(try SecretTable(entries: []).encoded()) { XCTAssertEqual("\($0)", "secret table: at least one secret is needed") }
        XCTAssertThrowsError(try SecretTable(entries: [.init(guid: guid, data: [1]), .init(guid: guid, data: [2])]).encoded()) {
            XCTAssertEqual("\($0)", "secret table: GUID 736869e5-84f0-4973-92ec-06879ce3da0b is used more than once")
        }
        let table = SecretTable(entries: [.init(guid: guid, data: [1])])
        let key = [UInt8](repeating: 0, count: 16)
        XCTAssertThrowsError(try LaunchSecretPacket(table: table, tek: [1], tik: key, measurement: Array(repeating: 0, count: 32), iv: key)) {
            XCTAssertEqual("\($0)", "TEK: expected a 16-byte key, found 1 bytes")
        }
        XCTAssertThrowsError(try LaunchSecretPacket(table: table, tek: key, tik: key, measurement: Array(repeating: 0, count: 31), iv: key)) {
            XCTAssertEqual("\($0)", "measurement: expected 32 bytes (or the 48-byte measurement ‖ MNONCE blob), found 31 bytes")
        }
        XCTAssertNil(WellKnownSecretGUID.parse("736869e5-84f0-4973-92ec-06879ce3da0"))
        XCTAssertNil(WellKnownSecretGUID.parse("luks"))
        XCTAssertEqual(WellKnownSecretGUID.parse("LUKS-KEY"), guid)
    }
}
