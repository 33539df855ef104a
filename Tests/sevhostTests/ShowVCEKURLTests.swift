import Foundation
import SEVTestSupport
import XCTest

/// `sevhost show vcek-url`, wired under `show`, against go-sev-guest's URL vector.
final class ShowVCEKURLTests: XCTestCase {
    func testURLFromChipIDAndTCB() throws {
        let vectors = try XCTUnwrap(try TestData.json("attestation-vectors.json") as? [String: Any])
        let urls = try XCTUnwrap(vectors["kds_url_vectors"] as? [[String: Any]])
        let vector = try XCTUnwrap(urls.first { ($0["hwid"] as? String) == "fe + 62 zero bytes + c0" })
        let chip = "fe" + String(repeating: "00", count: 62) + "c0"
        let result = try Subprocess.sevhost(["show", "vcek-url", "--product", "Milan", "--chip-id", chip, "--tcb", "0x0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, (vector["expected"] as? String ?? "") + "\n")
    }

    func testMissingInputsAreNamed() throws {
        let result = try Subprocess.sevhost(["show", "vcek-url", "--product", "Milan", "--tcb", "0x0"])
        XCTAssertEqual(result.status, 64, "a usage error")
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("sevhost: give --report FILE, or all of --product, --chip-id and --tcb\n"), result.stderr)
    }
}
