import SEVKit
import SEVTestSupport
import XCTest

final class VCPUTypeTests: XCTestCase {
    func testSignaturesFromVectors() throws {
        let root = try XCTUnwrap(TestData.json("measure-vectors.json") as? [String: Any])
        let table = try XCTUnwrap(root["cpu_signatures"] as? [String: String])
        XCTAssertFalse(table.isEmpty)
        for (name, hex) in table {
            XCTAssertEqual(VCPUType.named(name).map { "0x" + String($0.signature, radix: 16) }, hex, name)
        }
        let vectors = try XCTUnwrap(root["cpu_signature_vectors"] as? [[String: Any]])
        for vector in vectors {
            let sig = VCPUType.signature(family: vector["family"] as! Int, model: vector["model"] as! Int,
                                         stepping: vector["stepping"] as! Int)
            XCTAssertEqual("0x" + String(sig, radix: 16), vector["expected"] as? String)
        }
    }

    func testEveryQEMUModelFamily() {
        // The full list mirrors QEMU's EPYC models; each generation has one signature.
        let expected: [String: UInt32] = [
            "EPYC": 0x800f12, "EPYC-v1": 0x800f12, "EPYC-v2": 0x800f12, "EPYC-IBPB": 0x800f12,
            "EPYC-v3": 0x800f12, "EPYC-v4": 0x800f12,
            "EPYC-Rome": 0x830f10, "EPYC-Rome-v1": 0x830f10, "EPYC-Rome-v2": 0x830f10,
            "EPYC-Rome-v3": 0x830f10, "EPYC-Rome-v4": 0x830f10,
            "EPYC-Milan": 0xa00f11, "EPYC-Milan-v1": 0xa00f11, "EPYC-Milan-v2": 0xa00f11,
            "EPYC-Genoa": 0xa10f10, "EPYC-Genoa-v1": 0xa10f10, "EPYC-Turin": 0xb00f00,
        ]
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: VCPUType.known.map { ($0.name, $0.signature) }), expected)
        XCTAssertNil(VCPUType.named("epyc-v4"), "names are QEMU's, case-sensitive")
    }
}
