import SEVKit
import SEVTestSupport
import XCTest

/// The expectation a spec gives, against reports: each field named on its own, zeros where the
/// launch had no ID block, no author key or no host data (as the ABI fills the report).
final class SNPGuestExpectationTests: XCTestCase {
    static let trusteeReport = "confidential-containers-trustee/deps/verifier/test_data/snp/test-report.bin"

    /// A real Milan report with an ID block (trustee's test report: guest SVN 4, policy 0x3001f).
    func testARealReportAgainstItsOwnValuesAndEachChange() throws {
        let report = try AttestationReport(bytes: try SNPVectors.reportBytes(Self.trusteeReport), product: .milan)
        var expectation = SNPGuestExpectation(
            measurement: report.measurement, policy: SNPGuestPolicy(rawValue: report.policy), hostData: report.hostData, identity: nil)
        expectation.idKeyDigest = report.idKeyDigest
        expectation.authorKeyDigest = report.authorKeyDigest
        expectation.authorKeyEnabled = report.keyInfo.authorKeyEnabled
        expectation.familyID = report.familyID
        expectation.imageID = report.imageID
        expectation.guestSVN = report.guestSVN
        let checks = expectation.checks(report)
        XCTAssertEqual(checks.map(\.name), [
            "measurement", "policy", "host-data", "id-key-digest", "author-key-digest", "author-key-enabled",
            "family-id", "image-id", "guest-svn", "vmpl",
        ])
        XCTAssertEqual(checks.failures, [])
        XCTAssertEqual(checks[1].detail, "0x3001f")

        let edits: [(String, (inout SNPGuestExpectation) -> Void, String)] = [
            ("measurement", { $0.measurement[0] ^= 1 }, "expected "),
            ("policy", { $0.policy = SNPGuestPolicy(rawValue: 0x30000) }, "expected 0x30000, report has 0x3001f"),
            ("host-data", { $0.hostData = Array(repeating: 1, count: 32) }, "expected 0101"),
            ("id-key-digest", { $0.idKeyDigest = Array(repeating: 0, count: 48) }, "expected 0000"),
            ("author-key-enabled", { $0.authorKeyEnabled.toggle() }, "KEY_INFO.AUTHOR_KEY_EN is "),
            ("guest-svn", { $0.guestSVN = 5 }, "expected 5, report has 4"),
            ("family-id", { $0.familyID[15] = 9 }, "expected 0100"),
            ("vmpl", { $0.vmpl = 2 }, "expected 2, report has 0"),
        ]
        for (name, edit, detail) in edits {
            var changed = expectation
            edit(&changed)
            let failures = changed.checks(report).failures
            XCTAssertEqual(failures.map(\.name), [name])
            XCTAssertTrue(failures.first?.detail.hasPrefix(detail) ?? false, failures.first?.detail ?? "")
        }
    }

    func testWithoutAnIDBlockEverythingButMeasurementPolicyAndHostDataIsZero() throws {
        let e = SNPGuestExpectation(measurement: Array(repeating: 3, count: 48), policy: .minimal, hostData: nil, identity: nil)
        XCTAssertEqual(e.hostData, Array(repeating: 0, count: 32))
        XCTAssertEqual(e.idKeyDigest, Array(repeating: 0, count: 48))
        XCTAssertEqual(e.authorKeyDigest, Array(repeating: 0, count: 48))
        XCTAssertEqual(e.familyID + e.imageID, Array(repeating: 0, count: 32))
        XCTAssertEqual(e.guestSVN, 0)
        XCTAssertFalse(e.authorKeyEnabled)
    }
}
