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

        // The owner verifies the platform's certificates the bundle carries: the same tree as
        // the platform's own exported chain (raw, and base64 as QEMU and virsh hand it out),
        // every link valid; only the simulated ARK is not one of AMD's.
        let platformChain = [UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.stateDirectory + "/chain.cert")))
        XCTAssertGreaterThan(platformChain.count, 8336)
        try Data(platformChain[8336...]).write(to: URL(fileURLWithPath: harness.path("ask_ark.cert")))
        try Data(platformChain[..<8336]).write(to: URL(fileURLWithPath: harness.path("platform.cert")))
        try Data(Data(platformChain[..<8336]).base64EncodedString().utf8).write(to: URL(fileURLWithPath: harness.path("platform.b64")))
        let fromBundle = try sevhost(["verify", "--bundle", bundle, "--ca", harness.path("ask_ark.cert")])
        XCTAssertEqual(fromBundle.status, 1)
        XCTAssertEqual(fromBundle.stderr, "sevhost: SEV/CA certificate verification failed: the ARK is not a known AMD root key (SHA-256 of its encoding matches no published ARK)\n")
        // The tree above the legend: five links, each one valid (⬑, never ⬑̸).
        let tree = fromBundle.stdout.components(separatedBy: "\n\n").first ?? ""
        XCTAssertEqual(tree.filter { $0 == "\u{2B11}" }.count, 5, fromBundle.stdout)
        XCTAssertEqual(tree.filter { $0 == "\u{2B11}\u{0338}" }.count, 0, fromBundle.stdout)
        for chain in ["platform.cert", "platform.b64"] {
            let direct = try sevhost(["verify", "--sev", harness.path(chain), "--ca", harness.path("ask_ark.cert")])
            XCTAssertEqual(direct.stdout, fromBundle.stdout, chain)
            XCTAssertEqual(direct.status, 1, chain)
        }

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
    /// The same with the files sevctl writes, no conversion anywhere: the session as `sevctl
    /// session` names and encodes it (`vm_godh.b64`, `vm_session.b64`: base64 text; `vm_tek.bin`,
    /// `vm_tik.bin`: 16 raw bytes), the measurement as `sevctl measurement build --outfile`
    /// writes it (48 raw bytes), as QEMU's saved reply and as `virsh domlaunchsecinfo`'s
    /// listing; the answer as `sevctl secret build` writes it, a raw header file and a raw
    /// payload file, into `attest inject --header --payload`. Where sevctl's own output exists
    /// (its `secret build` test vectors), sevhost's raw files equal it byte for byte.
    func testSevctlFormatFilesChain() async throws {
        // sevctl's secret_single vector: sevhost writes the very header and payload files.
        let vectors = try XCTUnwrap(try TestData.json("launch-vectors.json") as? [String: Any])
        let secret = try XCTUnwrap(vectors["launch_secret"] as? [String: Any])
        let common = try XCTUnwrap(secret["common"] as? [String: Any])
        let single = try XCTUnwrap((secret["vectors"] as? [[String: Any]])?.first { $0["id"] as? String == "secret_single" })
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sevctl-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let vectorHeader = scratch.appendingPathComponent("header.bin").path, vectorPayload = scratch.appendingPathComponent("payload.bin").path
        let vector = try sevhost([
            "secret", "build", "--tek", try TestData.url("virtee-sevctl/tests/data/secret/tek1.bin").path,
            "--tik", try TestData.url("virtee-sevctl/tests/data/secret/tik1.bin").path,
            "--launch-measure-blob", try XCTUnwrap(common["launch_measure_blob_b64"] as? String),
            "--iv", try XCTUnwrap(common["iv_b64"] as? String),
            "--secret", "736869e5-84f0-4973-92ec-06879ce3da0b:" + (try TestData.url("virtee-sevctl/tests/data/secret/secret1.txt").path),
            "--raw", "--out-header", vectorHeader, "--out-payload", vectorPayload])
        XCTAssertEqual(vector.status, 0, vector.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: vectorHeader)).base64EncodedString(), single["expected_header_b64"] as? String)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: vectorPayload)).base64EncodedString(), single["expected_payload_b64"] as? String)

        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        // The session files in sevctl's names and encodings.
        let godh = try String(contentsOfFile: harness.path("vm_godh.b64"), encoding: .utf8)
        let session = try String(contentsOfFile: harness.path("vm_session.b64"), encoding: .utf8)
        XCTAssertEqual(Data(base64Encoded: godh)?.count, 2084)
        XCTAssertEqual(Data(base64Encoded: session)?.count, 128)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: harness.path("vm_tek.bin"))).count, 16)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: harness.path("vm_tik.bin"))).count, 16)

        // The measurement: raw 48 bytes, QEMU's reply, virsh's listing.
        let json = try sevhost(["qmp", harness.path("qmp.sock"), "measure", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let reply = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdoutBytes)) as? [String: Any])
        let base64 = try XCTUnwrap(reply["data"] as? String)
        let blob = try XCTUnwrap(Data(base64Encoded: base64))
        try blob.write(to: URL(fileURLWithPath: harness.path("measure.bin")))
        try Data(#"{"return": {"data": "\#(base64)"}}"#.utf8).write(to: URL(fileURLWithPath: harness.path("measure.json")))
        try Data("sev-measurement: \(base64)\nsev-api-major  : 1\nsev-api-minor  : 55\nsev-build-id   : 21\nsev-policy     : 1\n".utf8)
            .write(to: URL(fileURLWithPath: harness.path("measure.virsh")))
        for file in ["measure.bin", "measure.json", "measure.virsh"] {
            let verify = try sevhost(["measurement", "verify", "--measurement", harness.path(file), "--expect", spec,
                                      "--api-major", "1", "--api-minor", "55", "--build-id", "21", "--tik", harness.path("vm_tik.bin")])
            XCTAssertEqual(verify.status, 0, "\(file): \(verify.stderr)")
            XCTAssertEqual(verify.stdout, "measurement matches: \(Hex.encode([UInt8](blob.prefix(32))))\n", file)
        }

        // The answer as sevctl writes it: two raw files, straight into attest inject.
        try Data("owner's secret".utf8).write(to: URL(fileURLWithPath: harness.path("key")))
        let build = try sevhost(["secret", "build", "--tek", harness.path("vm_tek.bin"), "--tik", harness.path("vm_tik.bin"),
                                 "--launch-measure-blob", harness.path("measure.bin"), "--secret", "luks-key:" + harness.path("key"),
                                 "--raw", "--out-header", harness.path("secret_header.bin"), "--out-payload", harness.path("secret_payload.bin")])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: harness.path("secret_header.bin"))).count, 52)
        let inject = try sevhost(["attest", "inject", "--qmp", harness.path("qmp.sock"), "--gpa", SimulatorHarness.secretGPA,
                                  "--header", harness.path("secret_header.bin"), "--payload", harness.path("secret_payload.bin")])
        XCTAssertEqual(inject.status, 0, inject.stderr)
        let expected = try SecretTable(entries: [
            SecretTable.Entry(guid: WellKnownSecretGUID.parse("luks-key")!, data: Array("owner's secret".utf8)),
        ]).encoded()
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path("secret.bin")))), expected)
        let status = try await harness.status()
        XCTAssertEqual(status.status, .running)
    }
}
