import Foundation
import SEVTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The command-line findings of issue 17, each as it was reported, and the non-regular files
/// every reader now refuses: one line naming the file and what was expected, a non-zero exit,
/// nothing written, nothing lost.
final class HostileInputCLITests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Peers.sevhost.path) else {
            try Peers.missing("the built sevhost (swift build --build-tests)")
        }
        directory = NSTemporaryDirectory() + "hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func files(_ dir: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir ?? directory).sorted()
    }

    /// The first line of a usage error (the usage lines follow it).
    private func firstLine(_ result: ProcessResult) -> String {
        String(result.stderr.split(separator: "\n").first ?? "")
    }

    // MARK: - finding 3: vCPU counts

    func testAHugeVCPUCountIsRefusedBeforeAnythingIsAllocated() throws {
        for count in ["4294967296", "10000000", "0"] {
            for mode in ["snp", "seves"] {
                let result = try Subprocess.sevhost(["digest", "--mode", mode, "--vcpus", count, "--vcpu-type", "EPYC-v4", "--ovmf", "/usr/share/OVMF/OVMF_CODE.fd"])
                XCTAssertEqual(result.status, 64, result.stderr)
                XCTAssertEqual(result.stdout, "")
                XCTAssertEqual(firstLine(result), "sevhost: --vcpus must be from 1 to 4096, got \(count)")
            }
        }
    }

    // MARK: - finding 5: certificate table amplification

    /// A small table whose entries all point at one body would export it once per entry.
    func testATableWhoseEntriesShareBytesIsRefusedAndNothingIsWritten() throws {
        var table = [UInt8]()
        let guids = ["C0B406A4-A803-4952-9743-3FB6014CD0AE", "4AB7B379-BBAC-4FE4-A02F-05AEF327C782", "63DA758D-E664-4564-ADC5-F4B93BE8ACCD"]
        let bodyOffset = UInt32((guids.count + 1) * 24)
        for guid in guids {
            table += withUnsafeBytes(of: UUID(uuidString: guid)!.uuid) { Array($0) }
            table += withUnsafeBytes(of: bodyOffset.littleEndian) { Array($0) } + withUnsafeBytes(of: UInt32(40_000).littleEndian) { Array($0) }
        }
        table += [UInt8](repeating: 0, count: 24) + [UInt8](repeating: 0x30, count: 40_000)
        try Data(table).write(to: URL(fileURLWithPath: path("table.bin")))
        let out = path("out")
        let result = try Subprocess.sevhost(["snp", "certs", "export", out, "--table", path("table.bin")])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: \(path("table.bin")), offset 40 (0x28): entry 1 overlaps entry 0: each certificate has bytes of its own\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output directory is left behind")

        // The finding's size: a megabyte of body behind a thousand entries is over the bound.
        let fd = open(path("huge.bin"), O_WRONLY | O_CREAT, 0o600)
        ftruncate(fd, 1_070_000)
        close(fd)
        let huge = try Subprocess.sevhost(["snp", "certs", "export", out, "--table", path("huge.bin")])
        XCTAssertEqual(huge.stderr, "sevhost: --table \(path("huge.bin")): larger than 64 KiB, the most an SNP certificate table may hold\n")
    }

    // MARK: - finding 6: a failed output set

    /// The finding's repro: `mkdir d d/vm_tik.bin; echo old > d/vm_godh.b64; sevhost session ...`
    func testAFailedSessionKeepsThePreviousFiles() throws {
        let pdh = try TestData.url("virtee-sev/tests/rome/pdh.cert").path
        try FileManager.default.createDirectory(atPath: path("vm_tik.bin"), withIntermediateDirectories: false)
        for name in ["vm_godh.b64", "vm_session.b64", "vm_tek.bin"] {
            try Data("old \(name)\n".utf8).write(to: URL(fileURLWithPath: path(name)))
        }
        let result = try Subprocess.sevhost(["session", pdh, "0x1", "--out", directory])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasSuffix("sevhost: \(path("vm_tik.bin")): cannot keep the previous file while replacing it: Operation not permitted\n"), result.stderr)
        for name in ["vm_godh.b64", "vm_session.b64", "vm_tek.bin"] {
            XCTAssertEqual(try String(contentsOfFile: path(name), encoding: .utf8), "old \(name)\n")
        }
        XCTAssertEqual(try files(), ["vm_godh.b64", "vm_session.b64", "vm_tek.bin", "vm_tik.bin"], "no temporary file or link is left")
    }

    // MARK: - finding 9: accepted without a word

    func testWhatWasAcceptedWithoutAWordIsRefused() throws {
        let ovmf = "/usr/share/OVMF/OVMF_CODE.fd"
        let svsm = ["digest", "--mode", "snp:svsm", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf, "--svsm", ovmf]
        let varsDirectory = try Subprocess.sevhost(svsm + ["--vars-file", directory])
        XCTAssertEqual(varsDirectory.stderr, "sevhost: \(directory!): a directory, expected a regular file\n")
        XCTAssertEqual(firstLine(try Subprocess.sevhost(svsm + ["--vars-size", "0"])), "sevhost: --vars-size must be a positive multiple of 4096 bytes, got 0")
        XCTAssertEqual(
            firstLine(try Subprocess.sevhost(["vmsa", "build", path("v.bin"), "--family", "999", "--model", "1", "--stepping", "1"])),
            "sevhost: --family 999: expected 0 to 270 (what CPUID's signature can encode)")
        XCTAssertEqual(
            firstLine(try Subprocess.sevhost(["vmsa", "build", path("v.bin")])),
            "sevhost: the vCPU's signature is measured (RDX at reset): give --family, --model and --stepping, --vcpu-type or --vcpu-sig")
        XCTAssertEqual(
            firstLine(try Subprocess.sevhost(["id-block", "--id-key", path("k.pem"), "--measurement", String(repeating: "00", count: 48), "--policy", "0x30000", "--version", "2"])),
            "sevhost: --version 2: the SNP firmware ABI defines ID block version 1 only")
        XCTAssertEqual(try files(), [], "nothing was written")
    }

    /// A capture with a malformed msr.json, or a directory for proc/cmdline, is reported as such.
    func testAMalformedCaptureIsReportedAsWhatItIs() throws {
        let fixture = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
        let capture = path("host")
        try FileManager.default.copyItem(atPath: fixture, toPath: capture)
        try Data(#"{"registers": {"C0010010": "0x1"}}"#.utf8).write(to: URL(fileURLWithPath: capture + "/msr.json"))
        let msr = try Subprocess.sevhost(["ok", "--host-root", capture])
        XCTAssertEqual(msr.stderr, "sevhost: captured host: \(capture)/msr.json: registers: key \"C0010010\" is not a register number like \"0xc0010010\"\n")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: capture + "/msr.json"))
        let empty = try Subprocess.sevhost(["ok", "--host-root", capture])
        XCTAssertEqual(empty.stderr, "sevhost: captured host: \(capture)/msr.json: holds neither \"registers\" nor \"unavailable\"\n")
        try FileManager.default.copyItem(atPath: fixture + "/msr.json", toPath: capture + "/msr.json.good")
        try FileManager.default.removeItem(atPath: capture + "/msr.json")
        try FileManager.default.moveItem(atPath: capture + "/msr.json.good", toPath: capture + "/msr.json")

        try FileManager.default.removeItem(atPath: capture + "/proc/cmdline")
        try FileManager.default.createDirectory(atPath: capture + "/proc/cmdline", withIntermediateDirectories: false)
        let cmdline = try Subprocess.sevhost(["ok", "--host-root", capture])
        XCTAssertEqual(cmdline.stderr, "sevhost: captured host: \(capture)/proc/cmdline: a directory, expected a regular file (see `sevhost capture`)\n")
    }

    // MARK: - finding 11: messages

    /// Every reader of a file refuses what is not a regular file, saying what it is: not
    /// "Permission denied" for a FIFO or /dev/zero, not a Foundation error code for a directory,
    /// and without blocking on a FIFO nobody writes to.
    func testNonRegularFilesAreNamedForWhatTheyAre() throws {
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        try FileManager.default.createDirectory(atPath: path("dir"), withIntermediateDirectories: false)
        let readers: [[String]] = [
            ["report", "show", "FILE"], ["vmsa", "show", "FILE"], ["launch", "FILE", "--print", "json"],
            ["digest", "--mode", "sev", "--ovmf", "FILE"], ["verify", "--sev", "FILE"], ["key-digest", "FILE"],
            ["snp", "certs", "export", path("out"), "--table", "FILE"],
        ]
        for arguments in readers {
            for (input, kind) in [(path("fifo"), "a FIFO (named pipe)"), ("/dev/zero", "a character device"), (path("dir"), "a directory")] {
                let result = try Subprocess.sevhost(arguments.map { $0 == "FILE" ? input : $0 })
                XCTAssertEqual(result.status, 1, "\(arguments) \(input)")
                XCTAssertEqual(result.stdout, "")
                XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr)
                XCTAssertTrue(result.stderr.hasPrefix("sevhost: "), result.stderr)
                XCTAssertTrue(result.stderr.contains(input + ": "), "\(arguments): \(result.stderr)")
                XCTAssertTrue(result.stderr.hasSuffix(": \(kind), expected a regular file\n"), "\(arguments): \(result.stderr)")
            }
        }
    }

    /// NIO's `connect(descriptor:addr:size:)` with its unbalanced parenthesis, shown for a
    /// missing QMP socket, is now the system's word.
    func testAMissingQMPSocketIsTheSystemsWord() throws {
        let result = try Subprocess.sevhost(["qmp", path("none.sock"), "status", "--timeout", "2"])
        XCTAssertEqual(result.stderr, "sevhost: qmp: cannot connect to QMP socket \(path("none.sock")): No such file or directory\n")
    }

    /// A capture that cannot be written names its target, not the staging directory beside it.
    func testAFailedCaptureNamesItsTarget() throws {
        try Data().write(to: URL(fileURLWithPath: path("file")))
        let result = try Subprocess.sevhost(["capture", path("file") + "/capture"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: captured host: \(path("file"))/capture: cannot write the capture: Not a directory\n")
    }

    /// State directories made under umask 000 are private all the same.
    func testSimulatorStateDirectoriesAreMadePrivateWhateverTheUmask() throws {
        let previous = umask(0)
        defer { umask(previous) }
        let sim = Peers.productsDirectory.appendingPathComponent("sevhost-sim")
        XCTAssertEqual(try Subprocess.run(sim, ["--sim-state", path("sim/state"), "--print-pdh", path("pdh.cert")]).status, 0)
        let firmware = try Subprocess.sevhost(["show", "version", "--firmware", "sim:" + path("fw/state")])
        XCTAssertEqual(firmware.status, 0, firmware.stderr)
        for made in ["sim", "sim/state", "fw", "fw/state"] {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path(made))[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o700, made)
        }
    }
}
