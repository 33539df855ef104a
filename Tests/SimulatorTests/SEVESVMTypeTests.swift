import Foundation
import QMP
import SEVTestSupport
import XCTest

/// The SEV-ES VMSAs the simulated AMD-SP measures are the ones QEMU 10 and KVM produce for the
/// argv: `legacy-vm-type` unset (QEMU 10's `auto`) and `on` create the VM with the legacy
/// KVM_SEV_ES_INIT, whose VMSAs have the x87/SSE control words zero; `off` uses KVM_SEV_INIT2.
/// libvirt's `virt-qemu-sev-validate`, which models the legacy VMSA, is the independent judge.
final class SEVESVMTypeTests: XCTestCase {
    private func measure(legacyVMType: String?) async throws -> (harness: SimulatorHarness, measurement: String) {
        let harness = try SimulatorHarness(policy: 0x5)
        let spec = try harness.writeSpec("guest.yaml", type: "sev-es", policy: "0x5", vcpus: 2)
        try harness.launch(spec: spec, legacyVMType: legacyVMType)
        let client = try await QMPClient.connect(path: harness.path("qmp.sock"), timeout: .seconds(30))
        let measurement = try await client.querySEVLaunchMeasure().bytes
        await client.close()
        return (harness, Data(measurement).base64EncodedString())
    }

    /// virt-qemu-sev-validate for Debian's OVMF, 2 vCPUs of EPYC-v4 (family 23, model 1, stepping 2).
    private func validate(_ harness: SimulatorHarness, measurement: String) throws -> ProcessResult {
        let validator = try Peers.executable("/usr/bin/virt-qemu-sev-validate")
        return try Subprocess.run(URL(fileURLWithPath: "/usr/bin/python3"), [
            validator.path, "--measurement", measurement, "--api-major", "1", "--api-minor", "55", "--build-id", "21",
            "--policy", "5", "--firmware", SimulatorHarness.ovmfPath, "--num-cpus", "2",
            "--cpu-family", "23", "--cpu-model", "1", "--cpu-stepping", "2",
            "--tik", harness.path("vm_tik.bin"), "--tek", harness.path("vm_tek.bin"),
        ])
    }

    func testUnsetAndOnAreTheLegacyVMSA() async throws {
        for legacyVMType in [nil, "on"] {
            let (harness, measurement) = try await measure(legacyVMType: legacyVMType)
            defer { harness.stop() }
            let result = try validate(harness, measurement: measurement)
            XCTAssertEqual(result.status, 0, "legacy-vm-type \(legacyVMType ?? "unset"): \(result.stdout)\(result.stderr)")
        }
    }

    func testOffIsTheINIT2VMSA() async throws {
        let (harness, measurement) = try await measure(legacyVMType: "off")
        defer { harness.stop() }
        XCTAssertNotEqual(try validate(harness, measurement: measurement).status, 0, "the legacy VMSA must not verify")
        let digest = try Subprocess.sevhost([
            "digest", "--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", SimulatorHarness.ovmfPath,
        ])
        XCTAssertEqual(digest.status, 0, digest.stderr)
        let verify = try Subprocess.sevhost([
            "measurement", "verify", "--api-major", "1", "--api-minor", "55", "--build-id", "21", "--policy", "0x5",
            "--tik", harness.path("vm_tik.bin"), "--launch-digest", digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            "--measurement", measurement,
        ])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }
}
