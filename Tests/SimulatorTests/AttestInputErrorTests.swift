import Foundation
import SEVTestSupport
import XCTest

/// Bad input to `sevhost attest` is one line naming the option, before any connection.
final class AttestInputErrorTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["attest"] + arguments)
    }

    private var keyFile: String {
        get throws {
            let path = NSTemporaryDirectory() + "sevhost-attest-key-\(getpid()).bin"
            try Data(repeating: 1, count: 16).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    func testDigestWithoutPolicy() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", String(repeating: "ab", count: 32), "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: --expect \(String(repeating: "ab", count: 32)): with a launch digest, --policy is needed (or pass the VM spec file)\n")
    }

    func testExpectNeitherSpecNorDigest() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", "no-such-spec.yaml", "--policy", "1", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: attest: expected launch: 'no-such-spec.yaml': expected a VM spec file, or a launch digest as 64 hex digits or base64 of 32 bytes\n")
    }

    func testShortTIK() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", "AAAA", "--expect", "x", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: --tik: expected 16 bytes, the base64 text decodes to 3\n")
    }

    func testUnreachableSocket() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", String(repeating: "ab", count: 32), "--policy", "0x1", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("sevhost: attest: QMP: cannot connect to QMP socket /nonexistent.sock: "), result.stderr)
        XCTAssertFalse(result.stderr.contains("nothing was injected"), "a transport failure is not a refusal")
    }
}

/// The simulator refuses what QEMU would not launch as an SEV guest.
final class SimulatorArgumentTests: XCTestCase {
    func testFirmwareWithoutSEVMetadataIsRefused() throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let fourMiB = "/usr/share/OVMF/OVMF_CODE_4M.fd"
        guard FileManager.default.isReadableFile(atPath: fourMiB) else { try Peers.missing(fourMiB) }
        var arguments = try SimulatorHarness.qemuArguments(spec: try harness.writeSpec("guest.yaml"))
        let drive = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("if=pflash,") })
        arguments[drive] = "if=pflash,format=raw,unit=0,file=\(fourMiB),readonly=on"
        let result = try Subprocess.run(SimulatorHarness.simulator, arguments + ["--sim-state", harness.stateDirectory])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost-sim: the firmware carries no SEV metadata (nor an SEV hashes table or secret area): it was not built for SEV guests\n")
    }

    func testSNPIsNotSimulated() throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let result = try Subprocess.run(SimulatorHarness.simulator, [
            "-machine", "q35,confidential-guest-support=sev0", "-object", "sev-snp-guest,id=sev0,policy=0x30000",
            "-bios", SimulatorHarness.ovmfPath, "-qmp", "unix:\(harness.path("qmp.sock")),server=on,wait=off",
        ])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost-sim: -object sev-snp-guest: the simulator implements SEV and SEV-ES launches, not SEV-SNP\n")
    }
}
