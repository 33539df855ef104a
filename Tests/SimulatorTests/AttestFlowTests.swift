import Foundation
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// `sevhost attest` against sevhost-sim started from a spec's QEMU argv with Debian's OVMF:
/// the full flow, and each refusal (nothing injected, guest still paused).
final class AttestFlowTests: XCTestCase {
    static let diskGUID = "736869e5-84f0-4973-92ec-06879ce3da0b"
    static let tokenGUID = "4c2eb361-7d9b-4cc3-8081-127c90d3d294"

    /// Two secret files and the table the guest must see for them.
    private func writeSecrets(_ harness: SimulatorHarness) throws -> (arguments: [String], table: [UInt8]) {
        let disk = Array("correct horse battery staple".utf8)
        let token = (0..<37).map { UInt8($0 * 7 & 0xff) }
        try Data(disk).write(to: URL(fileURLWithPath: harness.path("disk.key")))
        try Data(token).write(to: URL(fileURLWithPath: harness.path("token.bin")))
        let table = try SecretTable(entries: [
            SecretTable.Entry(guid: GUID(Self.diskGUID)!, data: disk),
            SecretTable.Entry(guid: GUID(Self.tokenGUID)!, data: token),
        ]).encoded()
        return (["--secret", "luks-key:\(harness.path("disk.key"))", "--secret", "\(Self.tokenGUID):\(harness.path("token.bin"))"], table)
    }

    private func ownerArguments(_ harness: SimulatorHarness, expect: String, tik: String? = nil) -> [String] {
        [
            "--qmp", harness.path("qmp.sock"), "--tek", harness.path("vm_tek.bin"), "--tik", tik ?? harness.path("vm_tik.bin"),
            "--expect", expect, "--nonce-log", harness.path("mnonce.log"), "--gpa", SimulatorHarness.secretGPA,
        ]
    }

    /// A refusal: exit 2, the named reason on stderr, no secret file, the guest still paused.
    private func assertRefused(
        _ result: ProcessResult, reason: String, harness: SimulatorHarness, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains("sevhost: attest: refused: \(reason)"), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains("nothing was injected, the guest stays paused"), result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("secret.bin")), "a secret reached the guest", file: file, line: line)
        let status = try await harness.status()
        XCTAssertEqual(status.status, .prelaunch, file: file, line: line)
        XCTAssertFalse(status.running, file: file, line: line)
    }

    /// The same flow with --json -q: the report as one document (sevhost-attest-run/1),
    /// nothing on standard error.
    func testTheFlowReportsAsJSON() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let secrets = try writeSecrets(harness)

        let result = try harness.attest(ownerArguments(harness, expect: spec) + secrets.arguments + ["--json", "-q"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(document["schema"] as? String, "sevhost-attest-run/1")
        XCTAssertEqual(document["verified"] as? Bool, true)
        XCTAssertEqual((document["measurement"] as? String)?.count, 64)
        XCTAssertEqual(document["api-major"] as? Int, 1)
        XCTAssertEqual(document["api-minor"] as? Int, 55)
        XCTAssertEqual(document["build-id"] as? Int, 21)
        XCTAssertEqual(document["policy"] as? String, "0x1")
        XCTAssertEqual(document["secrets"] as? Int, 2)
        XCTAssertEqual(document["injected-bytes"] as? Int, secrets.table.count)
        let log = try String(contentsOfFile: harness.path("mnonce.log"), encoding: .utf8)
        XCTAssertTrue(log.hasPrefix(try XCTUnwrap(document["mnonce"] as? String) + " "), log)
    }

    func testFullFlowInjectsExactlyTheSecretsAndContinues() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let secrets = try writeSecrets(harness)

        let result = try harness.attest(ownerArguments(harness, expect: spec) + secrets.arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("measurement: ") && lines[0].hasSuffix(" (verified)"), result.stdout)
        XCTAssertEqual(lines[2], "firmware: API 1.55 build 21, policy 0x1")
        XCTAssertEqual(lines[3], "injected: 2 secret(s), \(secrets.table.count) bytes; guest continued")

        let seen = try XCTUnwrap(FileManager.default.contents(atPath: harness.path("secret.bin")))
        XCTAssertEqual([UInt8](seen), secrets.table)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: harness.path("secret.bin"))[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
        let status = try await harness.status()
        XCTAssertEqual(status.status, .running)
        XCTAssertTrue(status.running)
        // The accepted MNONCE is in the replay log.
        let log = try String(contentsOfFile: harness.path("mnonce.log"), encoding: .utf8)
        XCTAssertTrue(log.hasPrefix(String(lines[1].dropFirst("mnonce: ".count)) + " "), log)

        // Once running, the guest takes no more secrets: attest refuses before measuring.
        let again = try harness.attest(ownerArguments(harness, expect: spec) + secrets.arguments)
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(
            again.stderr,
            "sevhost: attest: refused: wrong state: the guest is in state 'running', a secret can only be injected in 'launch-secret'; nothing was injected, the guest stays paused\n")
    }

    /// Without --gpa, a firmware with no secret area (Debian's OVMF) is refused before the
    /// MNONCE is recorded: the retry with --gpa attests the same launch instead of being
    /// refused as a replay.
    func testMissingSecretAreaIsRefusedWithoutBurningTheNonce() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let secrets = try writeSecrets(harness)
        let withoutGPA = Array(ownerArguments(harness, expect: spec).dropLast(2))
        XCTAssertEqual(withoutGPA.suffix(2), ["--nonce-log", harness.path("mnonce.log")])

        let first = try harness.attest(withoutGPA + secrets.arguments)
        XCTAssertEqual(first.status, 1)
        XCTAssertEqual(first.stderr, "sevhost: attest: secret: the expected firmware has no SEV secret area (Debian's OVMF publishes none), so QEMU needs an address: give --gpa; nothing was sent\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("mnonce.log")), "the MNONCE was recorded")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("secret.bin")))

        let retry = try harness.attest(ownerArguments(harness, expect: spec) + secrets.arguments)
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: harness.path("secret.bin")))), secrets.table)
    }

    func testSEVESFullFlowMeasuresTheVMSAsOfEveryVCPU() async throws {
        let harness = try SimulatorHarness(policy: 0x5)
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5", vcpus: 4)
        try harness.launch(spec: spec)
        let secrets = try writeSecrets(harness)
        // The same launch with 3 vCPUs has another digest: the VMSAs are measured.
        let fewer = try harness.writeSpec("fewer.yaml", type: "sev-es", policy: "0x5", vcpus: 3)
        let refused = try harness.attest(ownerArguments(harness, expect: fewer) + secrets.arguments)
        try await assertRefused(refused, reason: "measurement mismatch", harness: harness)

        let result = try harness.attest(ownerArguments(harness, expect: spec) + secrets.arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: harness.path("secret.bin")))), secrets.table)
    }

    /// Direct kernel boot with kernel-hashes: the host booting another command line than the
    /// owner's is refused; the owner's own is accepted. The firmware is the AmdSev footer
    /// fixture (Debian's OVMF has no hashes table).
    func testKernelHashesBindTheCommandLine() async throws {
        let fixture = try TestData.url("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let kernel = try harness.writeKernel("vmlinuz", seed: 1)
        let owner = try harness.writeSpec("owner.yaml", firmware: fixture.path, kernel: (kernel, "console=ttyS0"))
        let host = try harness.writeSpec("host.yaml", firmware: fixture.path, kernel: (kernel, "console=ttyS0 init=/bin/sh"))
        XCTAssertTrue(try SimulatorHarness.qemuArguments(spec: host).contains { $0.hasPrefix("sev-guest,") && $0.hasSuffix(",kernel-hashes=on,legacy-vm-type=on,dh-cert-file=\(harness.path("vm_godh.b64")),session-file=\(harness.path("vm_session.b64"))") })
        try harness.launch(spec: host)
        let secrets = try writeSecrets(harness)
        let refused = try harness.attest(ownerArguments(harness, expect: owner) + secrets.arguments)
        try await assertRefused(refused, reason: "measurement mismatch", harness: harness)
        let first = try XCTUnwrap(harness.processes.last)
        _ = try await QMPClient.connect(path: harness.path("qmp.sock"), timeout: .seconds(10)).quit()
        first.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("qmp.sock")), "QEMU removes its socket when it exits")

        try harness.launch(spec: owner)
        let accepted = try harness.attest(ownerArguments(harness, expect: owner) + secrets.arguments)
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: harness.path("secret.bin")))), secrets.table)
    }

    /// QEMU on an SEV host ends at KVM's init when the firmware refuses LAUNCH_START, with these
    /// lines (target/i386/sev.c prints `ret=1` whatever the ioctl returned).
    func testSimulatorRefusesASessionForAnotherPlatformAtLaunchStart() throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        // Another platform (state directory) has another PDH: WRAP_MAC cannot verify.
        let result = try Subprocess.run(
            SimulatorHarness.simulator,
            try SimulatorHarness.qemuArguments(spec: spec) + ["--sim-state", harness.path("other-platform")])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasSuffix("""
            sevhost-sim: LAUNCH_START refused: firmware status 0x000B BAD_MEASUREMENT: LAUNCH_START: WRAP_MAC does not verify (the session was not made for this platform's PDH)
            qemu-system-x86_64: -accel kvm: sev_launch_start: LAUNCH_START ret=1 fw_error=11 'Bad measurement'
            qemu-system-x86_64: -accel kvm: sev_common_kvm_init: failed to create encryption context
            qemu-system-x86_64: -accel kvm: failed to initialize kvm: Operation not permitted

            """), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("qmp.sock")))
    }

    func testWrongTIKIsRefusedAsMeasurementMismatch() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let secrets = try writeSecrets(harness)
        var tik = [UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path("vm_tik.bin"))))
        tik[0] ^= 0x01
        try Data(tik).write(to: URL(fileURLWithPath: harness.path("wrong_tik.bin")))

        let result = try harness.attest(ownerArguments(harness, expect: spec, tik: harness.path("wrong_tik.bin")) + secrets.arguments)
        try await assertRefused(result, reason: "measurement mismatch", harness: harness)
    }

    func testTamperedFirmwareIsRefusedAsMeasurementMismatch() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        var firmware = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SimulatorHarness.ovmfPath)))
        firmware[0x10000] ^= 0x80
        try Data(firmware).write(to: URL(fileURLWithPath: harness.path("OVMF_tampered.fd")))
        let launched = try harness.writeSpec("launched.yaml", firmware: harness.path("OVMF_tampered.fd"))
        let expected = try harness.writeSpec("expected.yaml")
        try harness.launch(spec: launched)
        let secrets = try writeSecrets(harness)

        let result = try harness.attest(ownerArguments(harness, expect: expected) + secrets.arguments)
        try await assertRefused(result, reason: "measurement mismatch", harness: harness)
    }

    func testWrongPolicyIsRefused() async throws {
        // The platform launched the guest with policy 0x3 (a session made for it), the owner expects 0x1.
        let harness = try SimulatorHarness(policy: 0x3)
        defer { harness.stop() }
        let launched = try harness.writeSpec("launched.yaml", policy: "0x3")
        let expected = try harness.writeSpec("expected.yaml", policy: "0x1")
        try harness.launch(spec: launched)
        let secrets = try writeSecrets(harness)

        let result = try harness.attest(ownerArguments(harness, expect: expected) + secrets.arguments)
        try await assertRefused(result, reason: "policy mismatch: the guest was launched with policy 0x3, expected 0x1", harness: harness)
    }

    func testReplayedMeasurementIsRefused() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let secrets = try writeSecrets(harness)

        // Launch A: attested, its MNONCE recorded.
        let first = try harness.writeSpec("first.yaml", socket: "first.sock")
        try harness.launch(spec: first, socket: "first.sock", secretOut: "first-secret.bin")
        let client = try await QMPClient.connect(path: harness.path("first.sock"), timeout: .seconds(10))
        let oldBlob = try await client.querySEVLaunchMeasure().bytes
        await client.close()
        var arguments = ownerArguments(harness, expect: first) + secrets.arguments
        arguments[1] = harness.path("first.sock")
        XCTAssertEqual(try harness.attest(arguments).status, 0)

        // Launch B with the same session, whose host replays A's measurement.
        try Data(Data(oldBlob).base64EncodedString().utf8).write(to: URL(fileURLWithPath: harness.path("old-measure.b64")))
        let second = try harness.writeSpec("second.yaml")
        try harness.launch(spec: second, extra: ["--replay-measurement", harness.path("old-measure.b64")])
        let result = try harness.attest(ownerArguments(harness, expect: second) + secrets.arguments)
        try await assertRefused(result, reason: "replayed measurement: MNONCE \(Hex.encode(oldBlob[32...]))", harness: harness)
    }

    func testOnMismatchQuitEndsTheGuest() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        let process = try harness.launch(spec: spec)
        let secrets = try writeSecrets(harness)
        let digest = String(repeating: "00", count: 32)
        let result = try harness.attest(
            ["--qmp", harness.path("qmp.sock"), "--tek", harness.path("vm_tek.bin"), "--tik", harness.path("vm_tik.bin"),
             "--expect", digest, "--policy", "0x1", "--nonce-log", harness.path("mnonce.log"), "--on-mismatch", "quit", "--gpa", SimulatorHarness.secretGPA]
                + secrets.arguments)
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("refused: measurement mismatch"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the guest was told to quit"), result.stderr)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("secret.bin")))
    }
}
