import Foundation
import SEVKit
import SEVTestSupport
import XCTest

final class ReportVerifierTests: XCTestCase {
    private func verifier(_ vector: [String: Any]) throws -> (ReportVerifier, [UInt8]) {
        (ReportVerifier(chain: try SNPVectors.chain(for: vector)), try SNPVectors.reportBytes(vector["report_file"] as! String))
    }

    private func vector(_ id: String) throws -> [String: Any] {
        try XCTUnwrap(SNPVectors.reports().first { $0["id"] as? String == id })
    }

    func testEveryReportVectorVerifies() throws {
        for vector in try SNPVectors.reports() {
            let (v, bytes) = try verifier(vector)
            let report = try AttestationReport(bytes: bytes)
            // go-sev-guest's report was made by a guest whose policy (0xb0000) allows debugging:
            // cryptographically valid, refused by the default policy, accepted with debug allowed.
            var allowDebug = ReportPolicy()
            allowDebug.forbidDebug = false
            let isDebugGuest = vector["id"] as? String == "go_sev_guest_milan"
            XCTAssertEqual(v.verify(report, at: SNPVectors.poolTime).failures.map(\.name), isDebugGuest ? ["no-debug"] : [])
            let checks = v.verify(report, policy: allowDebug, at: SNPVectors.poolTime)
            XCTAssertEqual(checks.failures, [], vector["id"] as! String)
            XCTAssertEqual(checks.map(\.name), [
                "ark-pinned", "ark-self-signed", "ask-signed-by-ark", "vcek-signed-by-ask", "intermediate-role",
                "ark-validity", "ask-validity", "vcek-validity", "signature-algorithm", "signing-key",
                "report-signature", "tcb", "chip-binding", "product",
            ])
        }
    }

    /// trustee: reported_tcb (not current_tcb, whose ucode is 206) is what must match the VCEK.
    func testTCBComparesReportedNotCurrent() throws {
        let (v, bytes) = try verifier(try vector("trustee_milan_vcek"))
        let report = try AttestationReport(bytes: bytes)
        XCTAssertEqual(report.currentTCB.microcode, 206)
        let tcb = try XCTUnwrap(v.bindingChecks(report).first { $0.name == "tcb" })
        XCTAssertTrue(tcb.passed)
        XCTAssertEqual(tcb.detail, "REPORTED_TCB [bootloader 3, tee 0, snp 8, microcode 115] vs VCEK [bootloader 3, tee 0, snp 8, microcode 115]")
    }

    /// trustee check_report_signature_failure (byte 42 += 1), check_report_tcb_failure
    /// (byte 384 += 1), virtee milan_report_invalid (bit 7 of byte 21).
    func testNamedNegativeCases() throws {
        let cases: [(String, Int, (UInt8) -> UInt8, [String])] = [
            ("trustee_milan_vcek", 42, { $0 &+ 1 }, ["report-signature"]),
            ("trustee_milan_vcek", 384, { $0 &+ 1 }, ["report-signature", "tcb"]),
            ("virtee_sev_milan", 21, { $0 ^ 0x80 }, ["report-signature"]),
        ]
        for (id, offset, change, failing) in cases {
            let (v, original) = try verifier(try vector(id))
            var bytes = original
            bytes[offset] = change(bytes[offset])
            let checks = v.verify(try AttestationReport(bytes: bytes), at: SNPVectors.poolTime)
            XCTAssertEqual(checks.failures.map(\.name), failing, "\(id) byte \(offset)")
        }
    }

    func testPolicyChecksAreNamedAndOnlyThoseGivenRun() throws {
        let vec = try vector("trustee_milan_vcek")
        let (v, bytes) = try verifier(vec)
        let report = try AttestationReport(bytes: bytes)
        let e = try XCTUnwrap(vec["expected_fields"] as? [String: Any])

        var good = ReportPolicy()
        good.measurement = Hex.decode(e["measurement"] as! String)
        good.reportData = Hex.decode(e["report_data"] as! String)
        good.hostData = [UInt8](repeating: 0, count: 32)
        good.idKeyDigest = Hex.decode(e["id_key_digest"] as! String)
        good.authorKeyDigest = [UInt8](repeating: 0, count: 48)
        good.minimumTCB = TCBVersion(layout: .milanGenoa, bootloader: 3, tee: 0, snp: 8, microcode: 115)
        good.forbidMigrationAgent = true
        good.vmpl = 0
        good.chipID = Hex.decode(e["chip_id"] as! String)
        let passed = v.policyChecks(report, policy: good)
        XCTAssertEqual(passed.map(\.name), [
            "measurement", "report-data", "host-data", "id-key-digest", "author-key-digest", "min-tcb", "no-debug",
            "no-migration-agent", "vmpl", "chip-id",
        ])
        XCTAssertEqual(passed.failures, [])

        var bad = good
        bad.measurement![0] ^= 1
        bad.reportData![63] ^= 1
        bad.hostData![0] = 1
        bad.idKeyDigest![0] ^= 1
        bad.authorKeyDigest![0] = 1
        bad.minimumTCB = TCBVersion(layout: .milanGenoa, bootloader: 3, tee: 0, snp: 8, microcode: 116)
        bad.vmpl = 1
        bad.chipID![0] ^= 1
        XCTAssertEqual(v.policyChecks(report, policy: bad).failures.map(\.name), [
            "measurement", "report-data", "host-data", "id-key-digest", "author-key-digest", "min-tcb", "vmpl", "chip-id",
        ])
        XCTAssertEqual(v.policyChecks(report, policy: ReportPolicy()).map(\.name), ["no-debug"])
    }

    /// The debug and migration-agent rules read the guest policy bits 19 and 18. The signed
    /// reports in the pool have neither set, so the policy field is changed (the signature then
    /// fails too, which is asserted separately; here only the policy checks are read).
    func testDebugAndMigrationAgentPolicyBits() throws {
        let (v, original) = try verifier(try vector("virtee_sev_milan"))
        var bytes = original
        bytes[0x0a] |= 0x08 | 0x04  // bits 19 and 18 of POLICY
        let report = try AttestationReport(bytes: bytes)
        var policy = ReportPolicy()
        policy.forbidMigrationAgent = true
        XCTAssertEqual(v.policyChecks(report, policy: policy).failures.map(\.name), ["no-debug", "no-migration-agent"])
        policy.forbidDebug = false
        policy.forbidMigrationAgent = false
        XCTAssertEqual(v.policyChecks(report, policy: policy).map(\.name), [])
    }

    /// A report signed by someone else's VCEK: both the signature and the chip binding fail.
    func testReportUnderAnotherChipsVCEKFails() throws {
        let (v, _) = try verifier(try vector("virtee_sev_milan"))
        let other = try AttestationReport(bytes: try SNPVectors.reportBytes("google-go-sev-guest/verify/testdata/attestation.bin"))
        XCTAssertEqual(v.verify(other, at: SNPVectors.poolTime).failures.map(\.name), ["report-signature", "tcb", "chip-binding", "no-debug"])
    }
}
