import Foundation
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// libvirt's `virt-qemu-sev-validate` (offline mode) and sevhost judge the same launches of
/// sevhost-sim: SEV and SEV-ES, 1 and 4 vCPUs, with and without kernel hashes, for each VM type.
/// Both accept every launch, both refuse it with the firmware build id off by one, and the
/// secret packets each builds are accepted by the simulated firmware with the same plaintext.
///
/// The validator builds only the legacy VMSA (KVM_SEV_ES_INIT: x87/SSE words zero) from
/// `--cpu-family/--cpu-model/--cpu-stepping`; for INIT2 it measures the VMSA files
/// sev-snp-measure dumps (`--vmsa-cpu0/1`), so each VMSA comes from a peer, never from sevhost.
final class ValidatorAgreementTests: XCTestCase {
    static let validator = "/usr/bin/virt-qemu-sev-validate"
    /// EPYC-v4's CPUID signature 0x800f12: family 23, model 1, stepping 2.
    static let cpu = (name: "EPYC-v4", family: "23", model: "1", stepping: "2")

    struct Case: CustomStringConvertible {
        var es: Bool
        var vcpus: Int
        var kernelHashes: Bool
        var vmType: SEVVMType
        var description: String {
            "\(es ? "sev-es" : "sev") vcpus=\(vcpus) kernel-hashes=\(kernelHashes) vm-type=\(vmType.rawValue)"
        }
    }

    static var cases: [Case] {
        var all: [Case] = []
        for es in [false, true] {
            for vcpus in [1, 4] {
                for kernelHashes in [false, true] {
                    for vmType in SEVVMType.allCases { all.append(Case(es: es, vcpus: vcpus, kernelHashes: kernelHashes, vmType: vmType)) }
                }
            }
        }
        return all
    }

    func testValidatorAndSevhostAgreeOnEveryLaunch() async throws {
        let python = try Peers.executable("/usr/bin/python3")
        guard FileManager.default.isReadableFile(atPath: Self.validator) else {
            try Peers.missing("\(Self.validator) (libvirt-clients-qemu from bookworm-backports, see scripts/setup)")
        }
        let measure = try Peers.venvTool("sev-snp-measure")
        let harness = try SimulatorHarness(policy: 0x1)
        defer { harness.stop() }
        try harness.makeSession(name: "es", policy: 0x5)
        let files = try Inputs(harness)
        for (index, testCase) in Self.cases.enumerated() {
            try await check(testCase, index: index, harness: harness, files: files, python: python, measure: measure)
        }
    }

    /// The files every case shares: the AmdSev-footer firmware (it has the SEV hashes table),
    /// a kernel, an initrd, a command line and two secrets.
    struct Inputs {
        var amdSevFirmware: String
        var kernel: String
        var initrd: String
        var append = "console=ttyS0 root=/dev/vda1 ro"
        /// 19 bytes: the table (20 + 20 + 19) is not a multiple of 16, which both tools pad alike.
        var secret: String
        /// 24 bytes: the table is exactly 64 bytes.
        var alignedSecret: String

        init(_ harness: SimulatorHarness) throws {
            let suffix = try TestData.bytes("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
            amdSevFirmware = harness.path("OVMF.amdsev.fd")
            try Data([UInt8](repeating: 0, count: 2 << 20 - suffix.count) + suffix).write(to: URL(fileURLWithPath: amdSevFirmware))
            kernel = harness.path("vmlinuz")
            // QEMU loads it before anything is measured, so it carries a bzImage header.
            try Data(SimulatorHarness.kernelImage(size: 70_001, seed: 0)).write(to: URL(fileURLWithPath: kernel))
            initrd = harness.path("initrd.img")
            try Data((0..<40_003).map { UInt8($0 * 7 % 241) }).write(to: URL(fileURLWithPath: initrd))
            secret = harness.path("luks.key")
            try Data("nineteen byte pass\n".utf8).write(to: URL(fileURLWithPath: secret))
            alignedSecret = harness.path("aligned.key")
            try Data("twenty-four byte secret\n".utf8).write(to: URL(fileURLWithPath: alignedSecret))
        }
    }

    private func check(
        _ c: Case, index: Int, harness: SimulatorHarness, files: Inputs, python: URL, measure: URL
    ) async throws {
        let session = c.es ? "es" : "vm"
        let policy = c.es ? 5 : 1
        let firmware = c.kernelHashes ? files.amdSevFirmware : SimulatorHarness.ovmfPath
        let socket = "qmp\(index).sock"
        func writeSpec(_ name: String, socket: String) throws -> String {
            try harness.writeSpec(
                name, firmware: firmware, type: c.es ? "sev-es" : "sev", policy: "0x\(policy)", session: session,
                socket: socket, vcpus: c.vcpus, kernel: c.kernelHashes ? (files.kernel, files.append) : nil,
                initrd: c.kernelHashes ? files.initrd : nil, vmType: c.vmType.rawValue)
        }
        let spec = try writeSpec("guest\(index).yaml", socket: socket)
        defer { harness.stopProcesses() }
        let secretOut = "secret\(index).bin"
        try harness.launch(spec: spec, socket: socket, secretOut: secretOut)

        let client = try await QMPClient.connect(path: harness.path(socket), timeout: .seconds(10))
        let info = try await client.querySEV()
        let blob = try await client.querySEVLaunchMeasure().bytes
        let measurement = Data(blob).base64EncodedString()
        let tik = harness.path(session + "_tik.bin"), tek = harness.path(session + "_tek.bin")
        let build = Int(info.buildID)

        // virt-qemu-sev-validate, offline.
        var vmConfig = ["--firmware", firmware, "--num-cpus", "\(c.vcpus)"]
        if c.kernelHashes { vmConfig += ["--kernel", files.kernel, "--initrd", files.initrd, "--cmdline", files.append] }
        if c.es {
            switch c.vmType {
            case .legacy:
                vmConfig += ["--cpu-family", Self.cpu.family, "--cpu-model", Self.cpu.model, "--cpu-stepping", Self.cpu.stepping]
            case .init2:
                vmConfig += try initVMSAs(c, firmware: firmware, files: files, measure: measure, harness: harness, index: index)
            }
        }
        func validator(build: Int, extra: [String] = []) throws -> ProcessResult {
            try Subprocess.run(python, [Self.validator, "--measurement", measurement, "--api-major", "\(info.apiMajor)",
                                        "--api-minor", "\(info.apiMinor)", "--build-id", "\(build)", "--policy", "\(policy)",
                                        "--tik", tik, "--tek", tek] + vmConfig + extra)
        }
        let accepted = try validator(build: build)
        XCTAssertEqual(accepted.status, 0, "\(c): \(accepted.stderr)")
        XCTAssertEqual(accepted.stdout, "OK: Looks good to me\n", "\(c)")
        let refused = try validator(build: build + 1)
        XCTAssertEqual(refused.status, 1, "\(c)")
        XCTAssertEqual(refused.stderr, "ERROR: Measurement does not match, VM is not trustworthy\n", "\(c)")

        // sevhost measurement verify, with the digest sevhost computes for the same VM type.
        var digestArguments = ["digest", "--mode", c.es ? "seves" : "sev", "--ovmf", firmware, "--vm-type", c.vmType.rawValue]
        if c.es { digestArguments += ["--vcpus", "\(c.vcpus)", "--vcpu-type", Self.cpu.name] }
        if c.kernelHashes { digestArguments += ["--kernel", files.kernel, "--initrd", files.initrd, "--append", files.append] }
        let digest = try Subprocess.sevhost(digestArguments)
        XCTAssertEqual(digest.status, 0, "\(c): \(digest.stderr)")
        func verify(build: Int) throws -> ProcessResult {
            try Subprocess.sevhost([
                "measurement", "verify", "--api-major", "\(info.apiMajor)", "--api-minor", "\(info.apiMinor)",
                "--build-id", "\(build)", "--policy", "\(policy)", "--tik", tik,
                "--launch-digest", digest.stdout.trimmingCharacters(in: .newlines), "--measurement", measurement,
            ])
        }
        let verified = try verify(build: build)
        XCTAssertEqual(verified.status, 0, "\(c): \(verified.stderr)")
        XCTAssertEqual(verified.stdout, "measurement matches: \(Hex.encode(Array(blob[0..<32])))\n", "\(c)")
        let mismatch = try verify(build: build + 1)
        XCTAssertEqual(mismatch.status, 1, "\(c)")
        XCTAssertTrue(mismatch.stderr.hasPrefix("sevhost: measurement mismatch: the firmware reported "), "\(c): \(mismatch.stderr)")

        // The secret packets: the validator's and sevhost's, each injected into the guest.
        try await assertSamePlaintext(c, secret: files.secret, aligned: false, validator: validator(build:extra:), build: build,
                                      measurement: measurement, tek: tek, tik: tik, client: client, harness: harness,
                                      secretOut: secretOut, index: index)
        if index == 0 {
            try await assertSamePlaintext(c, secret: files.alignedSecret, aligned: true, validator: validator(build:extra:), build: build,
                                          measurement: measurement, tek: tek, tik: tik, client: client, harness: harness,
                                          secretOut: secretOut, index: index)
        }
        await client.close()

        // sevhost attest, as a guest owner runs it, from the spec: accepts, injects, continues.
        let attested = try harness.attest([
            "--qmp", harness.path(socket), "--tek", tek, "--tik", tik, "--expect", spec,
            "--secret", "luks-key:\(files.secret)", "--nonce-log", harness.path("mnonce.log"), "--gpa", SimulatorHarness.secretGPA,
        ])
        XCTAssertEqual(attested.status, 0, "\(c): \(attested.stderr)")
        XCTAssertTrue(attested.stdout.contains("firmware: API 1.55 build \(build), policy 0x\(policy)\n"), "\(c): \(attested.stdout)")

        // The same launch on a platform whose query-sev says build + 1: attest refuses it.
        let liarSocket = "liar\(index).sock"
        let liarSpec = try writeSpec("liar\(index).yaml", socket: liarSocket)
        try harness.launch(spec: liarSpec, socket: liarSocket, secretOut: "liar\(index).bin", extra: ["--query-sev-build-id", "\(build + 1)"])
        let liar = try harness.attest([
            "--qmp", harness.path(liarSocket), "--tek", tek, "--tik", tik, "--expect", liarSpec,
            "--secret", "luks-key:\(files.secret)", "--nonce-log", harness.path("mnonce.log"), "--gpa", SimulatorHarness.secretGPA,
        ])
        XCTAssertEqual(liar.status, 2, "\(c): \(liar.stderr)")
        XCTAssertTrue(liar.stderr.hasPrefix("sevhost: attest: refused: measurement mismatch"), "\(c): \(liar.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("liar\(index).bin")), "\(c): a secret reached the guest")
    }

    /// sev-snp-measure's dumped VMSAs of a KVM_SEV_INIT2 VM, for the validator's --vmsa-cpu0/1.
    private func initVMSAs(_ c: Case, firmware: String, files: Inputs, measure: URL, harness: SimulatorHarness, index: Int) throws -> [String] {
        let directory = URL(fileURLWithPath: harness.path("vmsa\(index)"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = ["--mode", "seves", "--vcpus", "\(c.vcpus)", "--vcpu-type", Self.cpu.name, "--ovmf", firmware, "--dump-vmsa"]
        if c.kernelHashes { arguments += ["--kernel", files.kernel, "--initrd", files.initrd, "--append", files.append] }
        let dumped = try Subprocess.run(measure, arguments, currentDirectory: directory)
        XCTAssertEqual(dumped.status, 0, "\(c): \(dumped.stderr)")
        // The validator multiplies the AP page by (vCPUs - 1) even for one vCPU, so it needs a
        // --vmsa-cpu1 then too (it contributes nothing); sev-snp-measure dumps only vmsa0.bin.
        let ap = c.vcpus > 1 ? "vmsa1.bin" : "vmsa0.bin"
        return ["--vmsa-cpu0", directory.appendingPathComponent("vmsa0.bin").path,
                "--vmsa-cpu1", directory.appendingPathComponent(ap).path]
    }

    /// Both packets are accepted by the simulated firmware; the plaintext each yields is the
    /// table the guest reads. The validator pads a table whose length is already a multiple of
    /// 16 with a further 16 zero bytes (its GUIDTable.build), which the guest ignores (the
    /// table carries its own length): for that case its plaintext is sevhost's plus 16 zeros.
    private func assertSamePlaintext(
        _ c: Case, secret: String, aligned: Bool, validator: (Int, [String]) throws -> ProcessResult, build: Int,
        measurement: String, tek: String, tik: String, client: QMPClient, harness: SimulatorHarness, secretOut: String, index: Int
    ) async throws {
        let header = harness.path("validator\(index)-\(aligned).header"), payload = harness.path("validator\(index)-\(aligned).payload")
        let made = try validator(build, ["--inject-secret", "luks-key:\(secret)", "--secret-header", header, "--secret-payload", payload])
        XCTAssertEqual(made.status, 0, "\(c): \(made.stderr)")
        XCTAssertEqual(made.stdout, "OK: Looks good to me\nOK: Injected 1 secrets\n", "\(c)")
        let theirs = try await inject(header: try base64File(header), payload: try base64File(payload), client: client, harness: harness, secretOut: secretOut)

        let built = try Subprocess.sevhost(["secret", "build", "--tek", tek, "--tik", tik, "--measurement", measurement, "--secret", "luks-key:\(secret)"])
        XCTAssertEqual(built.status, 0, "\(c): \(built.stderr)")
        let answer = try AnswerLines(built.stdout)
        let mine = try await inject(header: answer.header, payload: answer.payload, client: client, harness: harness, secretOut: secretOut)

        let table = try SecretTable(entries: [
            SecretTable.Entry(guid: WellKnownSecretGUID.parse("luks-key")!, data: [UInt8](try Data(contentsOf: URL(fileURLWithPath: secret)))),
        ]).encoded()
        XCTAssertEqual(mine, table, "\(c)")
        XCTAssertEqual(theirs, aligned ? table + [UInt8](repeating: 0, count: 16) : table, "\(c)")
        XCTAssertEqual(table.count % 16, 0)
        XCTAssertEqual(aligned, (20 + 20 + (try Data(contentsOf: URL(fileURLWithPath: secret)).count)) % 16 == 0)
    }

    /// `sev-inject-launch-secret`, then the plaintext the simulated firmware decrypted.
    private func inject(header: [UInt8], payload: [UInt8], client: QMPClient, harness: SimulatorHarness, secretOut: String) async throws -> [UInt8] {
        try? FileManager.default.removeItem(atPath: harness.path(secretOut))
        try await client.injectLaunchSecret(packetHeader: header, secret: payload, guestPhysicalAddress: 0x80c000)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path(secretOut))))
    }

    private func base64File(_ path: String) throws -> [UInt8] {
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        return [UInt8](try XCTUnwrap(Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines))))
    }

    /// `header: B64` and `payload: B64`, as `sevhost secret build` prints them.
    struct AnswerLines {
        var header: [UInt8]
        var payload: [UInt8]
        init(_ text: String) throws {
            var fields: [String: [UInt8]] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])) else { continue }
                fields[String(parts[0])] = [UInt8](data)
            }
            header = try XCTUnwrap(fields["header:"])
            payload = try XCTUnwrap(fields["payload:"])
        }
    }
}
