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
        XCTAssertEqual(result.stderr, "sevhost: --tik: expected 16 bytes, the text decodes to 2 bytes as hex, 3 as base64\n")
    }

    func testUnreachableSocket() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", String(repeating: "ab", count: 32), "--policy", "0x1", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("sevhost: attest: QMP: cannot connect to QMP socket /nonexistent.sock: "), result.stderr)
        XCTAssertFalse(result.stderr.contains("nothing was injected"), "a transport failure is not a refusal")
    }

    /// `attest inject` takes an ANSWER or sevctl's two files, not both, not half; a header of
    /// the wrong size is named before any connection.
    func testInjectNeedsOneWholeAnswer() throws {
        let key = try keyFile
        let half = try run(["inject", "--qmp", "/nonexistent.sock", "--header", key])
        XCTAssertEqual(half.status, 64)
        XCTAssertTrue(half.stderr.hasPrefix("sevhost: --header and --payload go together\n"), half.stderr)
        let none = try run(["inject", "--qmp", "/nonexistent.sock"])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.hasPrefix("sevhost: the answer is needed: an ANSWER file, or --header and --payload\n"), none.stderr)
        let both = try run(["inject", "--qmp", "/nonexistent.sock", key, "--header", key, "--payload", key])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.hasPrefix("sevhost: give an ANSWER file or --header and --payload, not both\n"), both.stderr)
        let short = try run(["inject", "--qmp", "/nonexistent.sock", "--header", key, "--payload", key])
        XCTAssertEqual(short.status, 1)
        XCTAssertEqual(short.stderr, "sevhost: --header \(key): expected 52 bytes (raw, base64 or hex), found 16 bytes that are neither\n")
    }
}

/// What QEMU 10 on an SEV host refuses, the front refuses with QEMU's lines and status.
final class SimulatorArgumentTests: XCTestCase {
    /// An SEV-ES guest needs the firmware's SEV-ES reset block (QEMU looks for it when it maps
    /// the flash); a flash image without a GUID table has none.
    func testSEVESFirmwareWithoutAResetBlockEndsQEMU() throws {
        let harness = try SimulatorHarness(policy: 0x5)
        defer { harness.stop() }
        let blank = harness.path("blank.fd")
        try Data(count: 64 << 10).write(to: URL(fileURLWithPath: blank))
        var arguments = try SimulatorHarness.qemuArguments(spec: try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5"))
        let drive = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("if=pflash,") })
        arguments[drive] = "if=pflash,format=raw,unit=0,file=\(blank),readonly=on"
        let result = try Subprocess.run(SimulatorHarness.simulator, arguments + ["--sim-state", harness.stateDirectory])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasSuffix("""
            qemu-system-x86_64: SEV information block/Firmware GUID Table block not found in pflash rom
            qemu-system-x86_64: failed to locate and/or save reset vector

            """), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("qmp.sock")))
    }

    /// QEMU checks `cbitpos` against the host's CPUID; the simulated host's is 51.
    func testCBitPositionOfAnotherHostEndsQEMU() throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        var arguments = try SimulatorHarness.qemuArguments(spec: try harness.writeSpec("guest.yaml"))
        let object = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-guest,") })
        arguments[object] = arguments[object].replacingOccurrences(of: "cbitpos=51", with: "cbitpos=47")
        let result = try Subprocess.run(SimulatorHarness.simulator, arguments + ["--sim-state", harness.stateDirectory])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasSuffix("""
            qemu-system-x86_64: -accel kvm: sev_common_kvm_init: cbitpos check failed, host '51' requested '47'
            qemu-system-x86_64: -accel kvm: failed to initialize kvm: Operation not permitted

            """), result.stderr)
    }
}

/// sevhost-sim ends on SIGTERM as QEMU does, even when the signal comes while it is starting:
/// the signal waits, blocked, until the front passes it to QEMU.
final class SimulatorSignalTests: XCTestCase {
    func testASignalDuringStartUpIsNotLost() throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let arguments = try SimulatorHarness.qemuArguments(spec: try harness.writeSpec("guest.yaml")) + ["--sim-state", harness.stateDirectory]
        for delay: useconds_t in [0, 2_000, 20_000, 200_000] {
            let process = Process()
            process.executableURL = SimulatorHarness.simulator
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(delay)
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            XCTAssertFalse(process.isRunning, "SIGTERM \(delay) µs after the start was lost")
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}
