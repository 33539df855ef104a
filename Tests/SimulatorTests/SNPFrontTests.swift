import Crypto
import Foundation
import SEVKit
import SEVLaunchSimulator
import SEVTestSupport
import XCTest

/// SEV-SNP end to end on the simulated platform with the real QEMU 10: the argv `sevhost launch`
/// writes for a signed spec runs under sevhost-sim; a report the guest asks for verifies against
/// the spec; and every change the ID block was signed against is refused, at launch by the
/// simulated firmware (ending QEMU as a real one ends), or at verification.
final class SNPFrontTests: XCTestCase {
    static let snpOVMF = "/usr/share/ovmf/OVMF.fd"
    static let otherOVMF = "/usr/share/OVMF/OVMF_CODE.fd"
    static let hostData = "c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU="
    static let reportData = String(repeating: "c0ffee", count: 21) + "00"

    /// One simulated SNP chip for the class: its AMD-sized RSA keys take seconds to make.
    nonisolated(unsafe) private static var chipFile: Data?

    private var harness: SimulatorHarness!

    override func setUpWithError() throws {
        guard FileManager.default.isReadableFile(atPath: Self.snpOVMF) else { try Peers.missing(Self.snpOVMF) }
        harness = try SimulatorHarness()
        try installChip(in: harness.stateDirectory)
    }

    override func tearDown() {
        harness?.stop()
    }

    /// The class's chip, copied into a state directory before any front starts there.
    private func installChip(in stateDirectory: String) throws {
        if Self.chipFile == nil {
            let scratch = NSTemporaryDirectory() + "sevhost-snp-chip-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            _ = try SimulatedSNPPlatform(stateDirectory: scratch)
            Self.chipFile = try Data(contentsOf: URL(fileURLWithPath: scratch + "/" + SimulatedSNPPlatform.fileName))
        }
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let file = URL(fileURLWithPath: stateDirectory + "/" + SimulatedSNPPlatform.fileName)
        try XCTUnwrap(Self.chipFile).write(to: file)
        chmod(file.path, 0o600)
    }

    private func key(_ name: String) throws -> String { try TestData.url("virtee-sev-snp-measure/tests/keyfile/\(name)").path }

    /// A signed SNP spec: Debian's OVMF (or `firmware`), 2 vCPUs of EPYC-v4, policy smt, the
    /// pool's ID and author keys, host data; with `kernel`, measured direct boot.
    private func writeSpec(
        _ name: String, firmware: String = SNPFrontTests.snpOVMF, kernel: String? = nil, append: String = "console=ttyS0",
        hostData: String = SNPFrontTests.hostData, idKey: String? = nil, in harness: SimulatorHarness? = nil
    ) throws -> String {
        let harness = harness ?? self.harness!
        let kernelLines = kernel.map { "kernel:\n  path: \($0)\n  append: \"\(append)\"\n" } ?? ""
        let text = """
            name: snp-guest
            vcpus: 2
            cpu: EPYC-v4
            memory: 512M
            firmware:
              path: \(firmware)
            qmp: \(harness.path("qmp.sock"))
            serial: file:\(harness.path("serial.log"))
            \(kernelLines)confidential:
              type: sev-snp
              policy: smt
              id-key: \(try idKey ?? key("id_key_test.pem"))
              author-key: \(try key("author_key_test.pem"))
              family-id: "000000000000000000000000000000f1"
              guest-svn: 3
              host-data: \(hostData)
              kernel-hashes: \(kernel != nil)

            """
        try text.write(toFile: harness.path(name), atomically: true, encoding: .utf8)
        return harness.path(name)
    }

    /// Debian's 2 MiB OVMF with its last 4 KiB replaced by the footer of an OvmfPkg/AmdSev build,
    /// which has the SNP_KERNEL_HASHES section and the hashes table area: Debian packages no
    /// OVMF that measures a kernel under SNP. The firmware accepts or refuses the launch before
    /// any of it runs, which is what these tests look at.
    private func kernelHashesFirmware() throws -> String {
        let suffix = try TestData.bytes("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
        var image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.snpOVMF)))
        image.replaceSubrange((image.count - suffix.count)..., with: suffix)
        let path = harness.path("OVMF.hashes.fd")
        try Data(image).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// sevhost-sim with `arguments`, to its end: a refused launch.
    private func refusedLaunch(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try Subprocess.run(SimulatorHarness.simulator, arguments + ["--sim-state", harness.stateDirectory])
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        return result.stderr.split(separator: "\n").filter { $0.hasPrefix("qemu-system-x86_64: ") && !$0.contains(": warning: ") }
            .joined(separator: "\n")
    }

    /// Asks the running guest for a report with `reportData`: the report file and certs/.
    private func guestReport(_ reportData: String = SNPFrontTests.reportData, name: String = "report.bin") throws -> String {
        let r = try Subprocess.run(SimulatorHarness.simulator, [
            "--guest-report", harness.path("qmp.sock"), "--report-data", reportData, "--out", harness.path(name),
            "--certs", harness.path("certs"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        return harness.path(name)
    }

    private func verify(_ report: String, _ options: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["report", "verify", report, "--certs", harness.path("certs")] + options)
    }

    private func verdict(_ r: ProcessResult) -> String { r.stdout.split(separator: "\n").last.map(String.init) ?? "" }

    // MARK: -

    func testASignedLaunchRunsAndItsReportsVerifyAgainstTheSpec() async throws {
        let spec = try writeSpec("vm.yaml")
        try harness.launch(spec: spec)
        let status = try await harness.status()
        XCTAssertEqual(status.status, .running)
        let sev = try Subprocess.sevhost(["qmp", harness.path("qmp.sock"), "sev", "--json"])
        XCTAssertEqual(sev.stdout, #"{"api-major":1,"api-minor":55,"build-id":21,"enabled":true,"sev-type":"sev-snp","snp-policy":196608,"state":"running"}"# + "\n")

        let report = try guestReport()
        let ok = try verify(report, ["--test-root", harness.path("certs/ark.pem"), "--expect", spec, "--report-data", Self.reportData])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(verdict(ok), "report \(report): VALID (25 checks passed)")
        XCTAssertTrue(ok.stdout.contains("PASS guest-svn: 3\n"))
        XCTAssertTrue(ok.stdout.contains("PASS family-id: 000000000000000000000000000000f1\n"))
        // The report's fields, as the ABI lays them out, say the same (decoded independently).
        let shown = try Subprocess.sevhost(["report", "show", report])
        XCTAssertTrue(shown.stdout.contains("report_data: \(Self.reportData)\n"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("key_info.author_key_en: true\n"))
        // The simulated ARK is never AMD's: without --test-root, the pin fails and nothing else.
        let unnamed = try verify(report, ["--expect", spec, "--report-data", Self.reportData])
        XCTAssertEqual(verdict(unnamed), "report \(report): INVALID: ark-pinned")
    }

    /// Changed vCPU count, other OVMF, a wrong ID key, another policy: the firmware refuses at
    /// SNP_LAUNCH_FINISH, and the front ends as QEMU ends, naming the firmware error.
    func testLaunchesThatDifferFromWhatWasSignedAreRefused() throws {
        let signed = try SimulatorHarness.qemuArguments(spec: try writeSpec("vm.yaml"))
        func changed(_ option: String, to value: String) throws -> [String] {
            var arguments = signed
            arguments[try XCTUnwrap(arguments.firstIndex(of: option)) + 1] = value
            return arguments
        }
        func object(replacing old: String, with new: String) throws -> [String] {
            var arguments = signed
            let index = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-snp-guest,") })
            XCTAssertTrue(arguments[index].contains(old))
            arguments[index] = arguments[index].replacingOccurrences(of: old, with: new)
            return arguments
        }
        let badMeasurement = "qemu-system-x86_64: SNP_LAUNCH_FINISH ret=-5 fw_error=11 'Bad measurement'"
        XCTAssertEqual(try refusedLaunch(try changed("-smp", to: "3")), badMeasurement, "other vCPU count")
        XCTAssertEqual(try refusedLaunch(try changed("-bios", to: Self.otherOVMF)), badMeasurement, "other OVMF")

        // An ID auth whose ID key did not sign this block: the block re-signed by another key,
        // with the genuine author's signature over that key.
        let properties = try XCTUnwrap(PrintedQEMUCommand(arguments: signed).objectProperties("sev-snp-guest"))
        let block = try IDBlock(bytes: [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(properties["id-block"])))))
        let author = try SigningKeyFile.privateKey(pem: try String(contentsOfFile: key("author_key_test.pem"), encoding: .utf8), name: "author")
        let foreign = try SignedIDBlock.sign(block, idKey: P384.Signing.PrivateKey(), authorKey: author)
        let genuine = [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(properties["id-auth"]))))
        let mixed = Array(genuine[0..<0x240]) + Array(foreign.auth.bytes[0x240...])
        XCTAssertEqual(try refusedLaunch(try object(replacing: "id-auth=" + Data(genuine).base64EncodedString(), with: "id-auth=" + Data(mixed).base64EncodedString())),
                       "qemu-system-x86_64: SNP_LAUNCH_FINISH ret=-5 fw_error=10 'Bad signature'", "wrong ID key")
        XCTAssertEqual(try refusedLaunch(try object(replacing: "policy=0x30000,", with: "policy=0x30001,")),
                       "qemu-system-x86_64: SNP_LAUNCH_FINISH ret=-5 fw_error=7 'Policy is not allowed'", "policy mismatch")
        // A policy the firmware refuses at SNP_LAUNCH_START: SMT is on in the simulated host.
        XCTAssertEqual(try refusedLaunch(try object(replacing: "policy=0x30000,", with: "policy=0x20000,")), """
            qemu-system-x86_64: -accel kvm: sev_snp_launch_start: SNP_LAUNCH_START ret=-5 fw_error=7 'Policy is not allowed'
            qemu-system-x86_64: -accel kvm: sev_common_kvm_init: failed to create encryption context
            qemu-system-x86_64: -accel kvm: failed to initialize kvm: Operation not permitted
            """)
    }

    /// Measured direct boot: the kernel and the command line are in the launch digest, so a
    /// kernel swapped after signing, or another command line, is refused.
    func testAChangedKernelOrCommandLineIsRefused() async throws {
        let firmware = try kernelHashesFirmware()
        let kernel = try harness.writeKernel("vmlinuz", seed: 1)
        let spec = try writeSpec("boot.yaml", firmware: firmware, kernel: kernel)
        let signed = try SimulatorHarness.qemuArguments(spec: spec)
        XCTAssertTrue(signed.contains { $0.hasPrefix("sev-snp-guest,") && $0.contains(",kernel-hashes=on,") })

        let tampered = try harness.writeKernel("vmlinuz.tampered", seed: 2)
        var swapped = signed
        swapped[try XCTUnwrap(swapped.firstIndex(of: "-kernel")) + 1] = tampered
        let badMeasurement = "qemu-system-x86_64: SNP_LAUNCH_FINISH ret=-5 fw_error=11 'Bad measurement'"
        XCTAssertEqual(try refusedLaunch(swapped), badMeasurement, "changed kernel")
        var appended = signed
        appended[try XCTUnwrap(appended.firstIndex(of: "-append")) + 1] = "console=ttyS0 init=/bin/sh"
        XCTAssertEqual(try refusedLaunch(appended), badMeasurement, "changed append")

        // The kernel that was signed passes SNP_LAUNCH_FINISH (the guest runs on).
        try harness.launchRaw(signed, socket: "qmp.sock")
        _ = try await harness.status()
        let sev = try Subprocess.sevhost(["qmp", harness.path("qmp.sock"), "sev", "--json"])
        XCTAssertTrue(sev.stdout.contains(#""state":"running""#), sev.stdout)
    }

    /// At verification: another REPORT_DATA than the relying party's, a spec with other host
    /// data, a report from another simulated chip, a TCB below the relying party's minimum.
    func testReportsThatDifferFromTheSpecAreRefused() async throws {
        let spec = try writeSpec("vm.yaml")
        try harness.launch(spec: spec)
        _ = try await harness.status()
        let report = try guestReport()
        let root = ["--test-root", harness.path("certs/ark.pem")]

        var r = try verify(report, root + ["--expect", spec, "--report-data", String(repeating: "00", count: 64)])
        XCTAssertEqual(verdict(r), "report \(report): INVALID: report-data")

        let otherHost = try writeSpec("other-host.yaml", hostData: Data(repeating: 0x42, count: 32).base64EncodedString())
        r = try verify(report, root + ["--expect", otherHost, "--report-data", Self.reportData])
        XCTAssertEqual(verdict(r), "report \(report): INVALID: host-data")

        r = try verify(report, root + ["--expect", spec, "--report-data", Self.reportData, "--min-tcb", "bl=3,tee=0,snp=9,ucode=115"])
        XCTAssertEqual(verdict(r), "report \(report): INVALID: min-tcb")

        // Another chip: a second simulated platform (its own state, so its own chip and VCEK)
        // runs the same spec; its guest's report is checked with the first chip's certificates.
        let otherChip = try SimulatorHarness()
        defer { otherChip.stop() }
        try otherChip.launch(spec: try writeSpec("vm.yaml", in: otherChip))
        _ = try await otherChip.status()
        let r2 = try Subprocess.run(SimulatorHarness.simulator, [
            "--guest-report", otherChip.path("qmp.sock"), "--report-data", Self.reportData, "--out", harness.path("other.bin"),
        ])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        r = try verify(harness.path("other.bin"), root + ["--expect", spec, "--report-data", Self.reportData])
        XCTAssertEqual(verdict(r), "report \(harness.path("other.bin")): INVALID: report-signature, chip-binding")
    }
}
