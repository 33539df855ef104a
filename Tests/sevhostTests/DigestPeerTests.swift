import Foundation
import SEVTestSupport
import XCTest

/// `sevhost digest` and `sev-snp-measure` run side by side on the same inputs; outputs must be
/// identical. Also the error paths sev-snp-measure does not have (firmware without SEV metadata).
final class DigestPeerTests: XCTestCase {
    static let amdSev = "virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin"
    static let ovmfX64 = "virtee-sev-snp-measure/tests/fixtures/ovmf_OvmfX64_suffix.bin"
    static let debianFirmware = ["/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/ovmf/OVMF.fd"]

    // MARK: - Debian's 2 MiB builds

    func testDebianOVMFAllModesVCPUCounts() throws {
        for ovmf in try Self.debianFirmware.map(systemFile) {
            try assertSame(["--mode", "sev", "--ovmf", ovmf])
            for mode in ["seves", "snp"] {
                for vcpus in [1, 2, 4, 64] {
                    try assertSame(["--mode", mode, "--vcpus", "\(vcpus)", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf])
                }
            }
        }
    }

    func testDebianOVMFVCPUTypesAndSignatures() throws {
        let ovmf = try systemFile(Self.debianFirmware[0])
        for mode in ["seves", "snp"] {
            for type in ["EPYC", "EPYC-v1", "EPYC-Rome", "EPYC-Rome-v3", "EPYC-Milan", "EPYC-Milan-v2", "EPYC-Genoa", "EPYC-Turin"] {
                try assertSame(["--mode", mode, "--vcpus", "4", "--vcpu-type", type, "--ovmf", ovmf])
            }
            try assertSame(["--mode", mode, "--vcpus", "2", "--vcpu-sig", "0xa10f11", "--ovmf", ovmf])
            try assertSame(["--mode", mode, "--vcpus", "2", "--vcpu-sig", "10489617", "--ovmf", ovmf])
            try assertSame(["--mode", mode, "--vcpus", "2", "--vcpu-family", "25", "--vcpu-model", "17",
                            "--vcpu-stepping", "1", "--ovmf", ovmf])
        }
        for features in ["0x1", "0x21", "0x3"] {
            try assertSame(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Milan", "--guest-features", features, "--ovmf", ovmf])
        }
        for vmm in ["ec2", "gce"] {
            for vcpus in [1, 4] {
                try assertSame(["--mode", "snp", "--vcpus", "\(vcpus)", "--vmm-type", vmm, "--ovmf", ovmf])
            }
        }
        try assertSame(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--output-format", "base64", "--ovmf", ovmf])
    }

    func testDebianOVMFHashSeeding() throws {
        let ovmf = try systemFile(Self.debianFirmware[0])
        let hash = try assertSame(["--mode", "snp:ovmf-hash", "--ovmf", ovmf])
        XCTAssertEqual(hash.count, 96)
        // sev-snp-measure prints the seed as hex whatever --output-format says: so does sevhost.
        XCTAssertEqual(try assertSame(["--mode", "snp:ovmf-hash", "--ovmf", ovmf, "--output-format", "base64"]), hash)
        let seeded = try assertSame(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--snp-ovmf-hash", hash, "--ovmf", ovmf])
        let direct = try assertSame(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf])
        XCTAssertEqual(seeded, direct, "seeding with the firmware's own hash changes nothing")
    }

    // MARK: - AmdSev fixture with a kernel, a 64 MiB initrd and a command line

    func testAmdSevWithKernelInitrdAndCommandLine() throws {
        let ovmf = try TestData.url(Self.amdSev).path
        let dir = try temporaryDirectory()
        let kernel = try realKernel() ?? generated(dir.appendingPathComponent("vmlinuz").path, size: 9 << 20, seed: 1)
        let initrd = try generated(dir.appendingPathComponent("initrd.img").path, size: 64 << 20, seed: 2)
        let append = "console=ttyS0 root=/dev/vda1 ro quiet"
        let boot = ["--ovmf", ovmf, "--kernel", kernel, "--initrd", initrd, "--append", append]
        try assertSame(["--mode", "sev"] + boot)
        try assertSame(["--mode", "sev", "--ovmf", ovmf, "--kernel", kernel])
        try assertSame(["--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Milan"] + boot)
        for vcpus in [1, 4, 64] {
            try assertSame(["--mode", "snp", "--vcpus", "\(vcpus)", "--vcpu-type", "EPYC-Genoa"] + boot)
        }
        try assertSame(["--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--guest-features", "0x21", "--output-format", "base64"] + boot)
        try assertSame(["--mode", "snp", "--vcpus", "2", "--vmm-type", "ec2"] + boot)
        try assertSame(["--mode", "snp", "--vcpus", "2", "--vmm-type", "gce"] + boot)
        let hash = try assertSame(["--mode", "snp:ovmf-hash", "--ovmf", ovmf])
        try assertSame(["--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--snp-ovmf-hash", hash] + boot)
    }

    func testDumpVMSAFilesMatch() throws {
        let ovmf = try TestData.url(Self.amdSev).path
        for mode in ["seves", "snp"] {
            let mine = try temporaryDirectory(), theirs = try temporaryDirectory()
            let args = ["--mode", mode, "--vcpus", "3", "--vcpu-type", "EPYC-Milan", "--ovmf", ovmf, "--dump-vmsa"]
            let a = try Subprocess.run(Peers.sevhost, ["digest"] + args + (mode == "seves" ? ["--vm-type", "init2"] : []), currentDirectory: mine)
            let b = try Subprocess.run(Peers.venvTool("sev-snp-measure"), args, currentDirectory: theirs)
            XCTAssertEqual(a.status, 0, a.stderr)
            XCTAssertEqual(b.status, 0, b.stderr)
            XCTAssertEqual(a.stdout, b.stdout)
            let names = try FileManager.default.contentsOfDirectory(atPath: mine.path).sorted()
            XCTAssertEqual(names, ["vmsa0.bin", "vmsa1.bin", "vmsa2.bin"])
            XCTAssertEqual(names, try FileManager.default.contentsOfDirectory(atPath: theirs.path).sorted())
            for name in names {
                XCTAssertEqual(try Data(contentsOf: mine.appendingPathComponent(name)),
                               try Data(contentsOf: theirs.appendingPathComponent(name)), "\(mode) \(name)")
            }
        }
    }

    func testSVSM() throws {
        let ovmf = try TestData.url("virtee-sev-snp-measure/tests/fixtures/svsm_ovmf.fd").path
        let svsm = try TestData.url("virtee-sev-snp-measure/tests/fixtures/svsm.bin").path
        let digest = try assertSame(["--mode", "snp:svsm", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf,
                                     "--svsm", svsm, "--vars-size", "540672"])
        XCTAssertEqual(digest, "27d154c27b7b359c935e250ec6fee72aa0ae8c1225e3b0e1cf46a9567e938066d7d6f94bbdc4a857818bdb79277a44b2")
        let vars = try systemFile("/usr/share/OVMF/OVMF_VARS_4M.fd")
        try assertSame(["--mode", "snp:svsm", "--vcpus", "2", "--vcpu-type", "EPYC-Genoa", "--ovmf", ovmf,
                        "--svsm", svsm, "--vars-file", vars])
    }

    // MARK: - Errors

    func testFourMiBOVMFHasNoMetadata() throws {
        let ovmf = try systemFile("/usr/share/OVMF/OVMF_CODE_4M.fd")
        for args in [["--mode", "sev"], ["--mode", "seves", "--vcpus", "1", "--vcpu-type", "EPYC-v4"],
                     ["--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC-v4"], ["--mode", "snp:ovmf-hash"]] {
            let result = try Subprocess.sevhost(["digest"] + args + ["--ovmf", ovmf])
            XCTAssertNotEqual(result.status, 0, "\(args)")
            XCTAssertEqual(result.stdout, "", "no digest for a firmware without SEV metadata")
            XCTAssertTrue(result.stderr.contains("\(ovmf): firmware carries no SEV metadata (footer table entry dc886566-984a-4798-a75e-5585a7bf67cc)"), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }

    func testOvmfX64WithKernelFails() throws {
        let ovmf = try TestData.url(Self.ovmfX64).path
        // An empty kernel file: what matters is that the firmware has nowhere to measure it.
        let kernel = FileManager.default.temporaryDirectory.appendingPathComponent("empty-kernel-\(getpid())").path
        FileManager.default.createFile(atPath: kernel, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: kernel) }
        for (args, message) in [
            (["--mode", "sev"], "has no SEV hashes table"),
            (["--mode", "seves", "--vcpus", "1", "--vcpu-type", "EPYC-v4"], "has no SEV hashes table"),
            (["--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC-v4"], "has no SNP_KERNEL_HASHES section"),
        ] {
            let result = try Subprocess.sevhost(["digest"] + args + ["--ovmf", ovmf, "--kernel", kernel])
            XCTAssertNotEqual(result.status, 0)
            XCTAssertEqual(result.stdout, "")
            XCTAssertTrue(result.stderr.contains(ovmf + ": a kernel was given but the firmware"), result.stderr)
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            // The peer refuses too.
            let peer = try Subprocess.run(Peers.venvTool("sev-snp-measure"), args + ["--ovmf", ovmf, "--kernel", kernel])
            XCTAssertNotEqual(peer.status, 0)
        }
    }

    func testUsageErrors() throws {
        let ovmf = try TestData.url(Self.amdSev).path
        let cases: [([String], String)] = [
            (["--mode", "snp", "--ovmf", ovmf], "missing --vcpus N in guest mode 'snp'"),
            (["--mode", "snp", "--vcpus", "1", "--ovmf", ovmf], "missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode 'snp'"),
            (["--mode", "sev", "--ovmf", ovmf, "--initrd", "/dev/null"], "--initrd needs --kernel"),
            (["--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC-v9", "--ovmf", ovmf], "unknown --vcpu-type 'EPYC-v9'"),
            (["--mode", "sev", "--ovmf", ovmf, "--snp-ovmf-hash", "00"], "--snp-ovmf-hash only works with --mode snp"),
            (["--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf, "--snp-ovmf-hash", "abcd"],
             "SNP OVMF hash must be 48 bytes (96 hex digits), got 2 bytes"),
            (["--mode", "snp:svsm", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf, "--svsm", ovmf], "exactly one of --vars-size or --vars-file"),
            (["--mode", "sev", "--ovmf", "/nonexistent/OVMF.fd"], "/nonexistent/OVMF.fd: No such file or directory"),
        ]
        for (args, message) in cases {
            let result = try Subprocess.sevhost(["digest"] + args)
            XCTAssertNotEqual(result.status, 0, "\(args)")
            XCTAssertEqual(result.stdout, "")
            XCTAssertTrue(result.stderr.contains(message), "\(args): \(result.stderr)")
        }
    }

    func testUnknownMetadataSectionTypeIsNamed() throws {
        var bytes = try TestData.bytes(Self.amdSev)
        let typeOffset = 4096 - 0x554 + 16 + 4 * 12 + 8  // fifth section (SVSM_CAA)
        XCTAssertEqual(bytes[typeOffset], 4)
        bytes[typeOffset] = 0x11
        let file = try temporaryDirectory().appendingPathComponent("future.fd")
        try Data(bytes).write(to: file)
        let result = try Subprocess.sevhost(["digest", "--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", file.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains(
            "\(file.path): OVMF SEV metadata, offset \(typeOffset) (0x\(String(typeOffset, radix: 16))): section 4 has unknown type 0x11"),
            result.stderr)
    }

    // MARK: - vmsa build / show

    func testVMSABuildAndShowMatchSevctl() throws {
        let firmware = try TestData.url(VMSAFixtures.firmware).path
        let dir = try temporaryDirectory()
        for cpu in 0...1 {
            let out = dir.appendingPathComponent("vmsa\(cpu).bin").path
            let build = try Subprocess.sevhost(["vmsa", "build", out, "--cpu", "\(cpu)", "--family", "25", "--model", "1",
                                                "--stepping", "1", "--userspace", "qemu", "--firmware", firmware])
            XCTAssertEqual(build.status, 0, build.stderr)
            XCTAssertEqual(try TestData.bytes("virtee-sevctl/tests/data/vmsa\(cpu).bin"), [UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
            let show = try Subprocess.sevhost(["vmsa", "show", TestData.url("virtee-sevctl/tests/data/vmsa\(cpu).bin").path])
            XCTAssertEqual(show.status, 0, show.stderr)
            XCTAssertEqual(show.stdout, String(decoding: try TestData.bytes("virtee-sevctl/tests/data/vmsa\(cpu)-show.txt"), as: UTF8.self))
        }
    }

    func testVMSAErrorsLeaveNoFile() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("ap.bin").path
        let noFirmware = try Subprocess.sevhost(["vmsa", "build", out, "--cpu", "1", "--vcpu-type", "EPYC-v4"])
        XCTAssertNotEqual(noFirmware.status, 0)
        XCTAssertTrue(noFirmware.stderr.contains("--cpu 1 needs --firmware"), noFirmware.stderr)
        let short = dir.appendingPathComponent("short.bin")
        try Data([1, 2, 3]).write(to: short)
        let show = try Subprocess.sevhost(["vmsa", "show", short.path])
        XCTAssertNotEqual(show.status, 0)
        XCTAssertEqual(show.stdout, "")
        XCTAssertTrue(show.stderr.contains("\(short.path): VMSA, offset 3 (0x3): a VMSA page is 4096 bytes, got 3"), show.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["short.bin"])
    }

    func testVMSABuildMatchesDumpedVMSA() throws {
        // With the default (KVM reset FPU state) the page equals what sev-snp-measure measures.
        let ovmf = try TestData.url(Self.amdSev).path
        let theirs = try temporaryDirectory()
        let peer = try Subprocess.run(Peers.venvTool("sev-snp-measure"),
                                      ["--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Genoa", "--guest-features", "0x21",
                                       "--ovmf", ovmf, "--dump-vmsa"], currentDirectory: theirs)
        XCTAssertEqual(peer.status, 0, peer.stderr)
        let out = try temporaryDirectory().appendingPathComponent("ap.bin").path
        let build = try Subprocess.sevhost(["vmsa", "build", out, "--cpu", "1", "--vcpu-type", "EPYC-Genoa", "--mode", "snp",
                                            "--guest-features", "0x21", "--firmware", ovmf])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: theirs.appendingPathComponent("vmsa1.bin")))
    }

    // MARK: - Helpers

    /// Runs both tools with `args` and asserts identical stdout and success; returns the digest text.
    @discardableResult
    /// sev-snp-measure's seves VMSAs are those of a KVM_SEV_INIT2 VM: sevhost is told so.
    private func assertSame(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let mine = try Subprocess.sevhost(["digest"] + args + (args.contains("seves") ? ["--vm-type", "init2"] : []))
        let theirs = try Subprocess.run(Peers.venvTool("sev-snp-measure"), args)
        XCTAssertEqual(mine.status, 0, "sevhost \(args): \(mine.stderr)", file: file, line: line)
        XCTAssertEqual(theirs.status, 0, "sev-snp-measure \(args): \(theirs.stderr)", file: file, line: line)
        XCTAssertFalse(theirs.stdout.isEmpty, file: file, line: line)
        XCTAssertEqual(mine.stdout, theirs.stdout, "\(args)", file: file, line: line)
        return mine.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func systemFile(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { try Peers.missing(path) }
        return path
    }

    /// A real kernel image: this machine's own, else the Debian one `scripts/setup` unpacks
    /// into `.peers/kernel`; nil (a generated stand-in) outside CI when neither exists.
    private func realKernel() throws -> String? {
        for directory in ["/boot", Peers.peersDirectory.appendingPathComponent("kernel/root/boot").path] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            if let kernel = names.filter({ $0.hasPrefix("vmlinuz-") }).sorted().first.map({ directory + "/" + $0 }),
               FileManager.default.isReadableFile(atPath: kernel) {
                return kernel
            }
        }
        if Peers.isCI { try Peers.missing("a real kernel image (/boot/vmlinuz-* or .peers/kernel, see scripts/setup)") }
        return nil
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A deterministic pseudo-random file (xorshift64), standing in for a kernel or initrd.
    private func generated(_ path: String, size: Int, seed: UInt64) throws -> String {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var words = [UInt64](repeating: 0, count: size / 8)
        for i in words.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            words[i] = state
        }
        try words.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        return path
    }
}

enum VMSAFixtures {
    static let firmware = "virtee-sevctl/tests/data/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9"
}
