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

    /// A version-2 report does not name its product: the certificates it chains to do
    /// (`--certs`), or `--product`; without either the error says which flag to give.
    func testVersion2ReportTakesItsProductFromTheCertificates() throws {
        let report = try TestData.url("virtee-sev/tests/certs_data/report_milan.hex").path
        let certs = FileManager.default.temporaryDirectory.appendingPathComponent("vcek-url-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: certs) }
        try FileManager.default.copyItem(at: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan"),
                                         to: certs.appendingPathComponent("cert_chain"))
        let bare = try Subprocess.sevhost(["show", "vcek-url", "--report", report])
        XCTAssertEqual(bare.status, 1)
        XCTAssertEqual(bare.stdout, "")
        XCTAssertEqual(bare.stderr, "sevhost: \(report): a version-2 report does not name its CPU: give --product (Milan or Genoa: Turin reports are version 3 or later), or --certs DIR with its ARK, ASK or VCEK\n")
        let fromCerts = try Subprocess.sevhost(["show", "vcek-url", "--report", report, "--certs", certs.path])
        XCTAssertEqual(fromCerts.status, 0, fromCerts.stderr)
        XCTAssertTrue(fromCerts.stdout.hasPrefix("https://kdsintf.amd.com/vcek/v1/Milan/"), fromCerts.stdout)
        let given = try Subprocess.sevhost(["show", "vcek-url", "--report", report, "--product", "milan"])
        XCTAssertEqual(given.stdout, fromCerts.stdout)
        let empty = certs.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try Subprocess.sevhost(["show", "vcek-url", "--report", report, "--certs", empty.path])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("does not name its CPU (nor do the certificates in \(empty.path)): give --product"), none.stderr)
    }

    func testMissingInputsAreNamed() throws {
        let result = try Subprocess.sevhost(["show", "vcek-url", "--product", "Milan", "--tcb", "0x0"])
        XCTAssertEqual(result.status, 64, "a usage error")
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("sevhost: give --report FILE, or all of --product, --chip-id and --tcb\n"), result.stderr)
    }
}
