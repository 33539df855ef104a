import Foundation
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// `attest export` → the guest owner checks and answers with `sevhost measurement verify` and
/// `sevhost secret build` → `attest inject`.
final class TwoPartyAttestTests: XCTestCase {
    private func export(_ harness: SimulatorHarness) throws -> [String: Any] {
        let result = try Subprocess.sevhost(["attest", "export", "--qmp", harness.path("qmp.sock"), "--out", harness.path("bundle.json")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "wrote \(harness.path("bundle.json"))\n")
        let data = try Data(contentsOf: URL(fileURLWithPath: harness.path("bundle.json")))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func ownerAnswer(_ harness: SimulatorHarness, bundle: [String: Any], tik: String) throws -> String {
        let secretFile = harness.path("owner-secret.txt")
        try Data("owner's secret".utf8).write(to: URL(fileURLWithPath: secretFile))
        let build = try Subprocess.sevhost([
            "secret", "build", "--tek", harness.path("vm_tek.bin"), "--tik", tik,
            "--measurement", try XCTUnwrap(bundle["measurement"] as? String), "--secret", "luks-key:\(secretFile)",
        ])
        XCTAssertEqual(build.status, 0, build.stderr)
        let answer = harness.path("answer.txt")
        try Data(build.stdout.utf8).write(to: URL(fileURLWithPath: answer))
        return answer
    }

    func testExportVerifyBuildInject() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)

        let bundle = try export(harness)
        XCTAssertEqual(bundle["format"] as? String, "sevhost-attestation-bundle/1")
        XCTAssertEqual(bundle["policy"] as? String, "0x1")
        XCTAssertEqual(bundle["state"] as? String, "launch-secret")
        XCTAssertEqual(bundle["api-major"] as? Int, 1)
        XCTAssertEqual(bundle["api-minor"] as? Int, 55)
        XCTAssertEqual(bundle["build-id"] as? Int, 21)
        let pdh = try Data(contentsOf: URL(fileURLWithPath: harness.path("pdh.cert")))
        XCTAssertEqual(Data(base64Encoded: try XCTUnwrap(bundle["pdh"] as? String)), pdh)
        let chain = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(bundle["cert-chain"] as? String)))
        XCTAssertEqual(chain.count, 3 * SEVPlatformCertificate.size)
        XCTAssertEqual(Data(base64Encoded: try XCTUnwrap(bundle["measurement"] as? String))?.count, 48)

        // The guest owner, elsewhere: the launch digest, then the measurement against it.
        let digest = try Subprocess.sevhost(["digest", "--mode", "sev", "--ovmf", SimulatorHarness.ovmfPath])
        XCTAssertEqual(digest.status, 0, digest.stderr)
        let verify = try Subprocess.sevhost([
            "measurement", "verify", "--api-major", "1", "--api-minor", "55", "--build-id", "21", "--policy", "0x1",
            "--tik", harness.path("vm_tik.bin"), "--launch-digest", digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            "--measurement", try XCTUnwrap(bundle["measurement"] as? String),
        ])
        XCTAssertEqual(verify.status, 0, verify.stderr)

        let answer = try ownerAnswer(harness, bundle: bundle, tik: harness.path("vm_tik.bin"))
        let inject = try Subprocess.sevhost(["attest", "inject", "--qmp", harness.path("qmp.sock"), answer, "--bundle", harness.path("bundle.json"), "--gpa", SimulatorHarness.secretGPA])
        XCTAssertEqual(inject.status, 0, inject.stderr)
        let expected = try SecretTable(entries: [
            SecretTable.Entry(guid: WellKnownSecretGUID.parse("luks-key")!, data: Array("owner's secret".utf8)),
        ]).encoded()
        XCTAssertEqual(inject.stdout, "injected \(expected.count)-byte secret; guest continued\n")
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path("secret.bin")))), expected)
        let status = try await harness.status()
        XCTAssertEqual(status.status, .running)
    }

    /// The owner's check from the bundle and the spec: the spec's VM type decides the VMSAs
    /// it predicts, so a spec of the other type is a mismatch; a spec of another policy is
    /// refused by name; the bundle's values and the flags are one or the other.
    func testOwnerVerifiesTheBundleAgainstTheSpec() throws {
        let harness = try SimulatorHarness(policy: 0x5)
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5", vcpus: 2, vmType: "init2")
        let legacy = try harness.writeSpec("legacy.yaml", type: "sev-es", policy: "0x5", vcpus: 2)
        let otherPolicy = try harness.writeSpec("nosend.yaml", type: "sev-es", policy: "0x25", vcpus: 2, vmType: "init2")
        try harness.launch(spec: spec)
        _ = try export(harness)
        func verify(_ extra: [String]) throws -> ProcessResult {
            try Subprocess.sevhost(["measurement", "verify", "--bundle", harness.path("bundle.json"), "--tik", harness.path("vm_tik.bin")] + extra)
        }
        let matches = try verify(["--expect", spec])
        XCTAssertEqual(matches.status, 0, matches.stderr)
        XCTAssertTrue(matches.stdout.hasPrefix("measurement matches: "), matches.stdout)
        let wrongType = try verify(["--expect", legacy])
        XCTAssertEqual(wrongType.status, 1)
        XCTAssertTrue(wrongType.stderr.hasPrefix("sevhost: measurement mismatch: the firmware reported "), wrongType.stderr)
        let wrongPolicy = try verify(["--expect", otherPolicy])
        XCTAssertEqual(wrongPolicy.status, 1)
        XCTAssertEqual(wrongPolicy.stderr, "sevhost: policy mismatch: the guest was launched with policy 0x5, \(otherPolicy) has 0x25\n")
        let both = try verify(["--expect", spec, "--build-id", "21"])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.hasPrefix("sevhost: --build-id comes from --bundle; give one or the other"), both.stderr)
        // The secret packet can be built from the bundle file itself.
        try Data("key".utf8).write(to: URL(fileURLWithPath: harness.path("k")))
        let built = try Subprocess.sevhost(["secret", "build", "--tek", harness.path("vm_tek.bin"), "--tik", harness.path("vm_tik.bin"),
                                            "--measurement", harness.path("bundle.json"), "--secret", "luks-key:\(harness.path("k"))"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let inject = try Subprocess.sevhost(["attest", "inject", "--qmp", harness.path("qmp.sock"), "-", "--gpa", SimulatorHarness.secretGPA],
                                            stdin: Data(built.stdout.utf8))
        XCTAssertEqual(inject.status, 0, inject.stderr)
    }

    func testAnswerWithWrongTIKIsRefusedByTheFirmware() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let bundle = try export(harness)
        try Data(repeating: 0x5a, count: 16).write(to: URL(fileURLWithPath: harness.path("wrong_tik.bin")))
        let answer = try ownerAnswer(harness, bundle: bundle, tik: harness.path("wrong_tik.bin"))

        let inject = try Subprocess.sevhost(["attest", "inject", "--qmp", harness.path("qmp.sock"), answer, "--gpa", SimulatorHarness.secretGPA])
        XCTAssertEqual(inject.status, 2)
        XCTAssertEqual(
            inject.stderr,
            "sevhost: attest: the secret was refused: sev-inject-launch-secret: GenericError: SEV: failed to inject secret ret=-5 fw_error=11 'Bad measurement'\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("secret.bin")))
        let status = try await harness.status()
        XCTAssertEqual(status.status, .prelaunch)
    }
}
