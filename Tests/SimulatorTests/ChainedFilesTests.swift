import Foundation
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// The pre-attestation as two parties chain it, each command taking the file or text the one
/// before it wrote, unchanged: no hex to base64, no picking a bundle apart.
final class ChainedFilesTests: XCTestCase {
    private func sevhost(_ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        try Subprocess.sevhost(arguments, stdin: stdin)
    }

    /// Writes a command's standard output to a file, as `> FILE` would.
    private func save(_ result: ProcessResult, _ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        try Data(result.stdoutBytes).write(to: URL(fileURLWithPath: path))
    }

    /// The owner answers with `secret build --measurement MEASUREMENT > answer.txt`, the host
    /// runs `attest inject answer.txt` (with `--bundle` when given): the guest must run with
    /// exactly the owner's secret.
    private func answerAndInject(
        _ harness: SimulatorHarness, measurement: String, tik: String, bundle: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        try Data("owner's secret".utf8).write(to: URL(fileURLWithPath: harness.path("key")))
        try save(try sevhost(["secret", "build", "--tek", harness.path("vm_tek.bin"), "--tik", tik,
                              "--measurement", measurement, "--secret", "luks-key:" + harness.path("key")]),
                 harness.path("answer.txt"), file: file, line: line)
        let inject = try sevhost(["attest", "inject", "--qmp", harness.path("qmp.sock"), harness.path("answer.txt"), "--gpa", SimulatorHarness.secretGPA]
                                 + (bundle.map { ["--bundle", $0] } ?? []))
        XCTAssertEqual(inject.status, 0, inject.stderr, file: file, line: line)
        let expected = try SecretTable(entries: [
            SecretTable.Entry(guid: WellKnownSecretGUID.parse("luks-key")!, data: Array("owner's secret".utf8)),
        ]).encoded()
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path("secret.bin")))), expected, file: file, line: line)
        let status = try await harness.status()
        XCTAssertEqual(status.status, .running, file: file, line: line)
    }

    /// `qmp SOCK measure > m` → `measurement verify --measurement m` → `secret build
    /// --measurement m > answer` → `attest inject answer`; the measurement also as the text
    /// itself (`"$(cat m)"`).
    func testQMPMeasureFeedsVerifyAndSecretBuild() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)

        try save(try sevhost(["qmp", harness.path("qmp.sock"), "measure"]), harness.path("measure.out"))
        try save(try sevhost(["digest", "--mode", "sev", "--ovmf", SimulatorHarness.ovmfPath]), harness.path("digest.out"))
        let measureText = try String(contentsOfFile: harness.path("measure.out"), encoding: .utf8)
        let digestText = try String(contentsOfFile: harness.path("digest.out"), encoding: .utf8)
        XCTAssertEqual(measureText.count, 97, measureText)

        let platform = ["--api-major", "1", "--api-minor", "55", "--build-id", "21", "--tik", harness.path("vm_tik.bin")]
        for measurement in [harness.path("measure.out"), measureText.trimmingCharacters(in: .newlines)] {
            let fromFlags = try sevhost(["measurement", "verify", "--measurement", measurement, "--policy", "0x1",
                                         "--launch-digest", digestText.trimmingCharacters(in: .newlines)] + platform)
            XCTAssertEqual(fromFlags.status, 0, fromFlags.stderr)
            XCTAssertEqual(fromFlags.stdout, "measurement matches: \(measureText.prefix(64))\n")
            let fromSpec = try sevhost(["measurement", "verify", "--measurement", measurement, "--expect", spec] + platform)
            XCTAssertEqual(fromSpec.status, 0, fromSpec.stderr)
        }

        try await answerAndInject(harness, measurement: harness.path("measure.out"), tik: harness.path("vm_tik.bin"))
    }

    /// `attest export` → the owner's `measurement verify --bundle` with the spec → `secret
    /// build --measurement bundle.json` → `attest inject --bundle`: the bundle file is all
    /// that crosses between the parties, besides the answer.
    func testTheBundleCrossesUnchanged() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let bundle = harness.path("bundle.json")
        XCTAssertEqual(try sevhost(["attest", "export", "--qmp", harness.path("qmp.sock"), "--out", bundle]).status, 0)

        let verify = try sevhost(["measurement", "verify", "--bundle", bundle, "--expect", spec, "--tik", harness.path("vm_tik.bin")])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        try await answerAndInject(harness, measurement: bundle, tik: harness.path("vm_tik.bin"), bundle: bundle)
    }

    /// The same with what sevctl and virsh hand around: the measurement as QEMU's base64
    /// (`query-sev-launch-measure`'s `data`, virsh's `sev-measurement`), as text and as a
    /// file, TEK and TIK as sevctl's raw 16-byte files and as their base64 and hex.
    func testSevctlAndVirshFormsChainToo() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let json = try sevhost(["qmp", harness.path("qmp.sock"), "measure", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let reply = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdoutBytes)) as? [String: Any])
        let base64 = try XCTUnwrap(reply["data"] as? String)
        try Data((base64 + "\n").utf8).write(to: URL(fileURLWithPath: harness.path("measure.b64")))
        let tik = try Data(contentsOf: URL(fileURLWithPath: harness.path("vm_tik.bin")))
        XCTAssertEqual(tik.count, 16)
        try Data(tik.base64EncodedString().utf8).write(to: URL(fileURLWithPath: harness.path("tik.b64")))

        for (measurement, tikForm) in [(base64, harness.path("vm_tik.bin")), (harness.path("measure.b64"), tik.base64EncodedString()),
                                       (harness.path("measure.b64"), harness.path("tik.b64")), (base64, Hex.encode([UInt8](tik)))] {
            let verify = try sevhost(["measurement", "verify", "--measurement", measurement, "--expect", spec,
                                      "--api-major", "1", "--api-minor", "55", "--build-id", "21", "--tik", tikForm])
            XCTAssertEqual(verify.status, 0, "\(measurement) \(tikForm): \(verify.stderr)")
        }
        try await answerAndInject(harness, measurement: harness.path("measure.b64"), tik: harness.path("tik.b64"))
    }
}
