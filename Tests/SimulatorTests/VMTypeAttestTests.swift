import Foundation
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// An SEV-ES guest is attested on the simulated platform whatever VM type its spec asks for
/// (left unset: QEMU's legacy default), because the argv, the simulated QEMU + KVM and
/// `attest --expect` all take it from the one setting; the VMSAs the firmware measured show it.
final class VMTypeAttestTests: XCTestCase {
    /// Bytes 0x408-0x413 of each measured VMSA: MXCSR, x87 FTW, FSW, FCW, FOP.
    static let legacyFPU = [UInt8](repeating: 0, count: 12)
    static let init2FPU: [UInt8] = [0x80, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x03, 0x00, 0x00]

    func key(_ harness: SimulatorHarness) throws -> String {
        try Data("disk passphrase\n".utf8).write(to: URL(fileURLWithPath: harness.path("disk.key")))
        return harness.path("disk.key")
    }

    func testSEVESGuestAttestsWithEachVMType() throws {
        let cases: [(vmType: String?, property: String, fpu: [UInt8])] = [
            (nil, "legacy-vm-type=on", Self.legacyFPU),
            ("legacy", "legacy-vm-type=on", Self.legacyFPU),
            ("init2", "legacy-vm-type=off", Self.init2FPU),
        ]
        for (vmType, property, fpu) in cases {
            let harness = try SimulatorHarness(policy: 0x5)
            defer { harness.stop() }
            let spec = try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5", vcpus: 3, vmType: vmType)
            let object = try XCTUnwrap(try SimulatorHarness.qemuArguments(spec: spec).first { $0.hasPrefix("sev-guest,") })
            XCTAssertTrue(object.contains(",\(property)"), object)
            let dump = harness.path("vmsa")
            try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
            try harness.launch(spec: spec, extra: ["--dump-vmsa", dump])

            let result = try harness.attest([
                "--qmp", harness.path("qmp.sock"), "--tek", harness.path("vm_tek.bin"), "--tik", harness.path("vm_tik.bin"),
                "--expect", spec, "--secret", "luks-key:\(try key(harness))", "--nonce-log", harness.path("mnonce.log"),
                "--gpa", SimulatorHarness.secretGPA,
            ])
            XCTAssertEqual(result.status, 0, "vm-type \(vmType ?? "unset"): \(result.stderr)")
            XCTAssertTrue(result.stdout.hasSuffix("guest continued\n"), result.stdout)

            let names = try FileManager.default.contentsOfDirectory(atPath: dump).sorted()
            XCTAssertEqual(names, ["vmsa0.bin", "vmsa1.bin", "vmsa2.bin"])
            for name in names {
                let page = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dump + "/" + name)))
                XCTAssertEqual(Array(page[0x408...0x413]), fpu, "vm-type \(vmType ?? "unset") \(name)")
            }
        }
    }

    /// The check above can fail: a guest created as INIT2 does not attest against a spec that
    /// expects the legacy type (nor the other way round), and nothing is injected.
    func testTheOtherVMTypeIsAMeasurementMismatch() throws {
        for (launched, expected) in [("init2", "legacy"), ("legacy", "init2")] {
            let harness = try SimulatorHarness(policy: 0x5)
            defer { harness.stop() }
            let spec = try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5", vmType: launched)
            let other = try harness.writeSpec("other.yaml", type: "sev-es", policy: "0x5", vmType: expected)
            try harness.launch(spec: spec)
            let result = try harness.attest([
                "--qmp", harness.path("qmp.sock"), "--tek", harness.path("vm_tek.bin"), "--tik", harness.path("vm_tik.bin"),
                "--expect", other, "--secret", "luks-key:\(try key(harness))", "--nonce-log", harness.path("mnonce.log"),
                "--gpa", SimulatorHarness.secretGPA,
            ])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("sevhost: attest: refused: measurement mismatch"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("secret.bin")))
        }
    }

    /// sevhost-sim reads `legacy-vm-type` as QEMU does: unset and `auto` are legacy, a value
    /// QEMU refuses is refused with QEMU's words.
    func testSimulatorDecidesFromTheArgv() async throws {
        let harness = try SimulatorHarness(policy: 0x5)
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5", vcpus: 1)
        let argv = try SimulatorHarness.qemuArguments(spec: spec)
        let index = try XCTUnwrap(argv.firstIndex { $0.hasPrefix("sev-guest,") })
        for (value, fpu) in [("auto", Self.legacyFPU), (nil, Self.legacyFPU), ("off", Self.init2FPU)] as [(String?, [UInt8])] {
            var arguments = argv
            arguments[index] = arguments[index].replacingOccurrences(of: ",legacy-vm-type=on", with: value.map { ",legacy-vm-type=\($0)" } ?? "")
            let dump = harness.path("dump-\(value ?? "unset")")
            try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
            let socket = "qmp-\(value ?? "unset").sock"
            arguments = arguments.map { $0.replacingOccurrences(of: harness.path("qmp.sock"), with: harness.path(socket)) }
            let process = try harness.launchRaw(arguments + ["--dump-vmsa", dump], socket: socket)
            XCTAssertTrue(process.isRunning)
            // QEMU greets a client once the launch is measured (its socket exists before).
            let status = try await harness.status(socket: socket)
            XCTAssertEqual(status.status, .prelaunch)
            let page = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dump + "/vmsa0.bin")))
            XCTAssertEqual(Array(page[0x408...0x413]), fpu, value ?? "unset")
        }
        var arguments = argv
        arguments[index] = arguments[index].replacingOccurrences(of: ",legacy-vm-type=on", with: ",legacy-vm-type=true")
        let refused = try Subprocess.run(SimulatorHarness.simulator, arguments + ["--sim-state", harness.stateDirectory])
        XCTAssertEqual(refused.status, 1)
        // QEMU checks the object's properties itself (the front leaves the object to it).
        XCTAssertTrue(
            refused.stderr.hasSuffix("qemu-system-x86_64: -object \(arguments[index]): Parameter 'legacy-vm-type' does not accept value 'true'\n"),
            refused.stderr)
    }
}
