import SEVKit
import SEVTestSupport
import XCTest

/// The report writer is the decoder's inverse on AMD's own reports: every field of a real
/// report, written back, gives the real bytes (signature aside), and a changed field lands at
/// its offset in the ABI's layout.
final class AttestationReportContentsTests: XCTestCase {
    static func contents(of r: AttestationReport) -> AttestationReportContents {
        var c = AttestationReportContents(version: r.version, policy: r.policy, tcb: r.currentTCB)
        c.guestSVN = r.guestSVN
        c.familyID = r.familyID
        c.imageID = r.imageID
        c.vmpl = r.vmpl
        c.platformInfo = r.platformInfo.raw
        c.keyInfo = r.keyInfo.raw
        c.reportData = r.reportData
        c.measurement = r.measurement
        c.hostData = r.hostData
        c.idKeyDigest = r.idKeyDigest
        c.authorKeyDigest = r.authorKeyDigest
        c.reportID = r.reportID
        c.reportIDMA = r.reportIDMA
        c.reportedTCB = r.reportedTCB
        if let family = r.cpuidFamily, let model = r.cpuidModel, let stepping = r.cpuidStepping {
            (c.cpuidFamily, c.cpuidModel, c.cpuidStepping) = (family, model, stepping)
        }
        c.chipID = r.chipID
        c.committedTCB = r.committedTCB
        c.currentVersion = (r.currentBuild, r.currentMinor, r.currentMajor)
        c.committedVersion = (r.committedBuild, r.committedMinor, r.committedMajor)
        c.launchTCB = r.launchTCB
        return c
    }

    func testRealReportsRoundTrip() throws {
        let vectors = try SNPVectors.reports()
        XCTAssertEqual(vectors.count, 3)
        for vector in vectors {
            let bytes = try SNPVectors.reportBytes(vector["report_file"] as! String)
            let report = try AttestationReport(bytes: bytes, product: .milan)
            let written = Self.contents(of: report).unsignedBytes
            XCTAssertEqual(written.count, AttestationReport.size)
            XCTAssertEqual(Array(written[0..<0x2A0]), Array(bytes[0..<0x2A0]), vector["id"] as! String)
            XCTAssertTrue(written[0x2A0...].allSatisfy { $0 == 0 })
        }
    }

    /// Versions 3 and 5 place their extra fields at the ABI's offsets.
    func testVersionSpecificFieldsSitAtTheirOffsets() throws {
        var c = AttestationReportContents(version: 5, policy: 0x30000, tcb: TCBVersion(bootloader: 1, tee: 2, snp: 3, microcode: 4, fmc: 5))
        (c.cpuidFamily, c.cpuidModel, c.cpuidStepping) = (0x1a, 0x02, 0x01)
        c.launchMitigationVector = 0x1122
        c.currentMitigationVector = 0x3344
        c.currentVersion = (9, 58, 1)
        let b = c.unsignedBytes
        XCTAssertEqual(Array(b[0x188..<0x18B]), [0x1a, 0x02, 0x01])
        XCTAssertEqual(Array(b[0x1E8..<0x1EB]), [9, 58, 1])
        XCTAssertEqual(Array(b[0x1F8..<0x200]), [0x22, 0x11, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(b[0x200..<0x208]), [0x44, 0x33, 0, 0, 0, 0, 0, 0])
        let decoded = try AttestationReport(bytes: b)
        XCTAssertEqual(decoded.inferredProduct, .turin)
        XCTAssertEqual(decoded.currentMitigationVector, 0x3344)
        XCTAssertEqual(decoded.reportedTCB.fmc, 5)
        c.version = 3
        XCTAssertTrue(c.unsignedBytes[0x1F8..<0x208].allSatisfy { $0 == 0 }, "version 3 has no mitigation vectors")
    }
}
