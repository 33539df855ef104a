import Crypto
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// `launch-vectors.json` → `launch_measure_hmac`.
final class LaunchMeasurementTests: XCTestCase {
    private func vectors() throws -> [[String: Any]] {
        let root = try XCTUnwrap(TestData.json("launch-vectors.json") as? [String: Any])
        return try XCTUnwrap((root["launch_measure_hmac"] as? [String: Any])?["vectors"] as? [[String: Any]])
    }

    private func bytes(hex key: String, base64 alt: String, in v: [String: Any]) throws -> [UInt8]? {
        if let text = v[key] as? String { return Hex.decode(text) }
        if let text = v[alt] as? String { return Data(base64Encoded: text).map { [UInt8]($0) } }
        return nil
    }

    func testAllVectors() throws {
        let all = try vectors()
        XCTAssertEqual(all.count, 5)
        for v in all {
            let id = try XCTUnwrap(v["id"] as? String)
            let tik = try XCTUnwrap(Hex.decode(try XCTUnwrap(v["tik_hex"] as? String)))
            if let file = v["tik_file"] as? String { XCTAssertEqual(try TestData.bytes(file), tik, id) }
            let policy = try XCTUnwrap(UInt32((v["policy"] as! String).dropFirst(2), radix: 16))
            // The launch digest: given, or (for firmware vectors) what the independent check derived.
            var digest = try bytes(hex: "launch_digest_hex", base64: "launch_digest_b64", in: v)
            if digest == nil { digest = Hex.decode(try XCTUnwrap(v["launch_digest_derived_by_independent_hex"] as? String)) }
            // A firmware-only SEV digest is just SHA-256 of the firmware: check that part here too.
            if let firmware = v["firmware"] as? String, v["kernel"] == nil, v["vmsa_cpu0"] == nil {
                XCTAssertEqual(Array(SHA256.hash(data: try TestData.bytes(firmware))), digest, id)
            }
            let mnonce: [UInt8]
            if let nonce = try bytes(hex: "mnonce_hex", base64: "nonce_b64", in: v) {
                mnonce = nonce
            } else {
                let blob = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(v["launch_measure_blob_b64"] as? String)))
                mnonce = Array(try LaunchMeasurement(blob: [UInt8](blob)).mnonce)
            }
            let result = LaunchMeasurement.expected(
                tik: tik, apiMajor: UInt8(v["api_major"] as! Int), apiMinor: UInt8(v["api_minor"] as! Int),
                buildID: UInt8(v["build_id"] as! Int), policy: policy, launchDigest: try XCTUnwrap(digest), mnonce: mnonce)
            if let expected = v["expected_measurement_hex"] as? String {
                XCTAssertEqual(Hex.encode(result.measurement), expected, id)
            }
            if let expected = v["expected_output_b64"] as? String {
                XCTAssertEqual(Data(result.encoded).base64EncodedString(), expected, id)
                XCTAssertTrue(result.matches(try LaunchMeasurement(blob: [UInt8](Data(base64Encoded: expected)!))), id)
            }
        }
    }

    func testMismatchesAreDetected() throws {
        let tik = Hex.decode("66320db73158a35a255d051758e95ed4")!
        let digest = Hex.decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!
        let mnonce = Hex.decode("4fbe0bedbad6c86ae8f68971d103e554")!
        let good = LaunchMeasurement.expected(tik: tik, apiMajor: 0, apiMinor: 18, buildID: 15, policy: 0, launchDigest: digest, mnonce: mnonce)
        XCTAssertEqual(Hex.encode(good.measurement), "6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea")
        for policy: UInt32 in [1, 0x100] {
            let other = LaunchMeasurement.expected(tik: tik, apiMajor: 0, apiMinor: 18, buildID: 15, policy: policy, launchDigest: digest, mnonce: mnonce)
            XCTAssertFalse(other.matches(good))
        }
        let build = LaunchMeasurement.expected(tik: tik, apiMajor: 0, apiMinor: 18, buildID: 16, policy: 0, launchDigest: digest, mnonce: mnonce)
        XCTAssertFalse(build.matches(good))
        XCTAssertThrowsError(try LaunchMeasurement(blob: Array(repeating: 0, count: 47), name: "blob")) { error in
            XCTAssertEqual("\(error)", "blob, offset 47 (0x2f): expected the 48-byte measurement ‖ MNONCE blob, found 47 bytes")
        }
    }
}
