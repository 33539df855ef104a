import Foundation
import Orchestration
import SEVKit
import SEVTestSupport
import XCTest

/// sevhostd records, for each SEV-SNP VM, what its attestation reports must show, computed
/// from the VM's spec when it is defined and each time its launch is signed, and serves it
/// (`sevhost vm expect NAME [--json]`) for a guest owner to pin.
final class SNPExpectationTests: XCTestCase {
    static let snpOVMF = "/usr/share/ovmf/OVMF.fd"
    private var harness: DaemonHarness!

    override func setUpWithError() throws {
        harness = try DaemonHarness()
    }

    override func tearDown() {
        harness?.stop()
    }

    private func key(_ name: String) throws -> String { try TestData.url("virtee-sev-snp-measure/tests/keyfile/\(name)").path }

    private func snpSpec(name: String) throws -> String {
        let file = harness.path("\(name).yaml")
        try """
            name: \(name)
            vcpus: 2
            cpu: EPYC-Milan
            memory: 1G
            firmware:
              path: \(Self.snpOVMF)
            confidential:
              type: sev-snp
              policy: smt
              id-key: \(try key("id_key_test.pem"))
              author-key: \(try key("author_key_test.pem"))
              image-id: "000000000000000000000000000000aa"
              guest-svn: 9
              host-data: c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=

            """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func testTheDaemonServesWhatTheReportsMustShow() async throws {
        guard FileManager.default.fileExists(atPath: Self.snpOVMF) else { try Peers.missing(Self.snpOVMF) }
        try harness.startDaemon()
        let spec = try snpSpec(name: "signed")
        let created = try harness.vm(["create", spec])
        XCTAssertEqual(created.status, 0, created.stderr)

        let measure = try Subprocess.run(try Peers.venvTool("sev-snp-measure"), [
            "--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--ovmf", Self.snpOVMF,
        ])
        let digest = measure.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func keyDigest(_ name: String) throws -> String {
            try Subprocess.sevhost(["key-digest", "--hex", try key(name)]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let text = try harness.vm(["expect", "signed"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout, """
            name: signed
            measurement: \(digest)
            policy: 0x30000
            host-data: \(Hex.encode(Data(base64Encoded: "c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=")!))
            id-key-digest: \(try keyDigest("id_key_test.pem"))
            author-key-digest: \(try keyDigest("author_key_test.pem"))
            author-key-enabled: true
            family-id: \(String(repeating: "0", count: 32))
            image-id: 000000000000000000000000000000aa
            guest-svn: 9
            vmpl: 0

            """)

        // The JSON is what `report verify --expect` reads: the same expectation as the spec's.
        let json = try harness.vm(["expect", "signed", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let served = try JSONDecoder().decode(VMExpectation.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(served.format, "sevhost-snp-expectation/1")
        XCTAssertEqual(try served.expectation(), try SNPSpecExpectation.load(specPath: spec))
        let pinned = harness.path("signed.expect.json")
        try json.stdout.write(toFile: pinned, atomically: true, encoding: .utf8)
        XCTAssertEqual(try SNPSpecExpectation.load(specPath: pinned), try SNPSpecExpectation.load(specPath: spec))

        // sevhostd launches it signed (sevhost-sim in front of QEMU 10 as its QEMU): the
        // simulated firmware accepts the ID block, and the guest's report (asked for on the
        // guest's socket: the daemon holds the QMP monitor) shows what the daemon said to expect.
        let started = try harness.vm(["start", "signed"])
        XCTAssertEqual(started.status, 0, started.stderr + harness.daemonLog())
        let state = try await harness.client.showVM("signed").state
        XCTAssertEqual(state, .running)
        let reportData = String(repeating: "ab", count: 64)
        let request = try Subprocess.run(DaemonHarness.simulator, [
            "--guest-report", harness.stateDirectory + "/vms/signed/guest.sock", "--report-data", reportData, "--out", harness.path("report.bin"),
            "--certs", harness.path("certs"),
        ])
        XCTAssertEqual(request.status, 0, request.stderr)
        let verified = try Subprocess.sevhost([
            "report", "verify", harness.path("report.bin"), "--certs", harness.path("certs"), "--test-root", harness.path("certs/ark.pem"),
            "--expect", pinned, "--report-data", reportData,
        ])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertEqual(verified.stdout.split(separator: "\n").last, "report \(harness.path("report.bin")): VALID (25 checks passed)")
        XCTAssertEqual(try harness.vm(["stop", "signed"]).status, 0)

        // An SEV guest has no attestation reports to expect.
        XCTAssertEqual(try harness.vm(["create", try harness.writeSpec(name: "legacy")]).status, 0)
        let sev = try harness.vm(["expect", "legacy"])
        XCTAssertEqual(sev.status, 1)
        XCTAssertEqual(sev.stderr, "sevhost: vm expect: legacy is sev: only SEV-SNP guests produce attestation reports\n")
    }
}
