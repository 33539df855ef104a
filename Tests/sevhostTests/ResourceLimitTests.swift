import Foundation
import SEVTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// No command holds more than 256 MiB or runs longer than 10 s, whatever file it is given
/// (finding 4 of issue 17): a sparse 1 GiB file, an endless device, a FIFO nobody writes to,
/// in every place a command reads one. Each run is measured from outside (wait4's rusage for
/// the peak resident size and the processor time, the clock for the time it took), and must
/// end with a one-line error, or, where a 1 GiB input is legitimate (a kernel or initrd,
/// streamed), succeed.
///
/// The 10 s are the command's own: its processor time (user and system) is held to them.
/// The clock is held to twice that, since the machines running the suite are shared and a
/// command may wait for a core; a read that blocks (a FIFO nobody writes to) costs no
/// processor time and is caught by the clock.
final class ResourceLimitTests: XCTestCase {
    static let memoryLimit = 256 << 20
    static let timeLimit: Double = 10
    static let clockLimit: Double = 2 * timeLimit

    private var directory: String!
    private var big: String { directory + "/big.bin" }
    private var fifo: String { directory + "/fifo" }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Peers.sevhost.path) else {
            try Peers.missing("the built sevhost (swift build --build-tests)")
        }
        directory = NSTemporaryDirectory() + "resources-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Sparse: 1 GiB that costs no disk.
        let fd = open(big, O_WRONLY | O_CREAT, 0o600)
        XCTAssertEqual(ftruncate(fd, 1 << 30), 0)
        close(fd)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for name in ["certs", "host"] { try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true) }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every command and option that reads a file, with `FILE` standing for the input.
    private var readers: [[String]] {
        let ovmf = "/usr/share/OVMF/OVMF_CODE.fd"
        let key = Data(repeating: 1, count: 16).base64EncodedString()
        let blob = Data(repeating: 1, count: 48).base64EncodedString()
        let secret = directory + "/secret.txt"
        FileManager.default.createFile(atPath: secret, contents: Data("s".utf8))
        // A simulated platform's PDH, PEK, OCA and CEK (fuzz/make-seeds), for the CA and OCA options.
        let platformChain = PackageRoot.url.appendingPathComponent("fuzz/seeds/sev-certificates/sim-platform-chain").path
        return [
            ["digest", "--mode", "sev", "--ovmf", "FILE"],
            ["digest", "--mode", "snp", "--vcpus", "4096", "--vcpu-type", "EPYC-v4", "--ovmf", "FILE"],
            ["digest", "--mode", "snp:svsm", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf, "--svsm", "FILE", "--vars-size", "4096"],
            ["digest", "--mode", "snp:svsm", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf, "--svsm", ovmf, "--vars-file", "FILE"],
            ["vmsa", "show", "FILE"],
            ["vmsa", "build", directory + "/vmsa.out", "--cpu", "1", "--vcpu-type", "EPYC-v4", "--firmware", "FILE"],
            ["report", "show", "FILE"],
            ["report", "verify", "FILE", "--certs", directory + "/certs"],
            ["show", "vcek-url", "--report", "FILE"],
            ["verify", "--sev", "FILE"],
            ["verify", "sev", "--sev", platformChain, "--ca", "FILE"],
            ["verify", "sev", "--sev", platformChain, "--oca", "FILE"],
            ["verify", "certs", "CERTDIR"],
            ["snp", "certs", "import", "CERTDIR", "--table", directory + "/table.out"],
            ["snp", "vlek-load", "FILE", "--firmware", "sim:" + directory + "/sim"],
            ["session", "FILE", "0x1", "--out", directory],
            ["snp", "certs", "export", directory + "/out", "--table", "FILE"],
            ["launch", "FILE", "--print", "json"],
            ["key-digest", "FILE"],
            ["id-block", "--id-key", "FILE", "--measurement", String(repeating: "00", count: 48), "--policy", "0x30000"],
            ["measurement", "verify", "--api-major", "1", "--api-minor", "0", "--build-id", "0", "--policy", "0", "--tik", "FILE",
             "--launch-digest", String(repeating: "00", count: 32), "--measurement", blob],
            ["secret", "build", "--tek", key, "--tik", key, "--measurement", "FILE", "--secret", "luks-key:FILE"],
            ["secret", "build", "--tek", key, "--tik", key, "--measurement", blob, "--secret", "luks-key:FILE"],
            ["attest", "inject", "--qmp", directory + "/none.sock", "FILE"],
            ["attest", "--qmp", directory + "/none.sock", "--tek", key, "--tik", key, "--expect", "FILE", "--secret", "luks-key:" + secret],
            ["qmp", directory + "/none.sock", "inject", "--packet-header", "@FILE", "--secret", "@FILE"],
            ["vm", "inject", "web", "FILE", "--daemon", directory + "/none.sock"],
            ["provision", "FILE", "FILE", "--firmware", "sim:" + directory + "/sim", "--yes"],
        ]
    }

    func testNoCommandExceedsItsBoundsOnAHugeOrEndlessInput() throws {
        for arguments in readers {
            for input in [big, "/dev/zero", fifo] {
                let run = try Self.measure(try arguments.map { argument in
                    // CERTDIR: a directory whose certificate is the input.
                    guard argument == "CERTDIR" else { return argument.replacingOccurrences(of: "FILE", with: input) }
                    let certificates = directory + "/certs-\(UUID().uuidString)"
                    try FileManager.default.createDirectory(atPath: certificates, withIntermediateDirectories: false)
                    try FileManager.default.createSymbolicLink(atPath: certificates + "/vcek.der", withDestinationPath: input)
                    return certificates
                })
                let label = "sevhost \(arguments.joined(separator: " ")) with \(input)"
                Self.assertWithinBounds(run, label)
                XCTAssertNotEqual(run.status, 0, label)
                XCTAssertEqual(run.stderr.split(separator: "\n").first.map { $0.hasPrefix("sevhost: ") }, true, "\(label): \(run.stderr)")
                if input != big {
                    XCTAssertTrue(run.stderr.contains("expected a regular file"), "\(label): \(run.stderr)")
                }
            }
        }
    }

    /// Reads `path` to its end and throws the bytes away, so that its pages are cached.
    private static func readThrough(_ path: String) throws {
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty {}
    }

    /// Kernels and initrds of 1 GiB are legitimate: streamed through SHA-256 within the bounds.
    func testAGibibyteKernelAndInitrdAreHashedWithinTheBounds() throws {
        let firmware = try TestData.url("virtee-sevctl/tests/data/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9").path
        // The first read of a fresh sparse file makes the kernel fill 1 GiB of page cache; on
        // these paravirtualised machines that alone costs 7-9 s of system time (0.2 s once the
        // pages are cached), whatever program reads it. The bound is on sevhost's own work, so
        // the file is read once before the measured run.
        try Self.readThrough(big)
        let run = try Self.measure(["digest", "--mode", "sev", "--ovmf", firmware, "--kernel", big, "--initrd", big, "--append", "x"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.count, 65)
        Self.assertWithinBounds(run, "a 1 GiB kernel and initrd")
        for device in ["/dev/zero", fifo] {
            let endless = try Self.measure(["digest", "--mode", "sev", "--ovmf", firmware, "--kernel", device])
            XCTAssertEqual(endless.stderr, "sevhost: \(device): \(device == fifo ? "a FIFO (named pipe)" : "a character device"), expected a regular file\n")
        }
    }

    /// The largest inputs that are accepted, at their bounds: a 64 MiB firmware image (its
    /// last pages the OVMF footer and SEV metadata of fuzz/seeds/ovmf) measured for 4096 vCPUs,
    /// a certificate directory of 16 files of 16 certificates, a 1 MiB spec; and one past each
    /// count bound, refused in one line.
    func testTheLargestAcceptedInputsStayWithinTheBounds() throws {
        let seeds = PackageRoot.url.appendingPathComponent("fuzz/seeds")
        let footer = try Data(contentsOf: seeds.appendingPathComponent("ovmf/snp-metadata.bin"))
        let firmware = directory + "/firmware.fd"
        XCTAssertTrue(FileManager.default.createFile(atPath: firmware, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: firmware))
        try handle.seek(toOffset: UInt64((64 << 20) - footer.count))
        try handle.write(contentsOf: footer)
        try handle.close()
        for mode in ["sev", "seves", "snp"] {
            let run = try Self.measure(["digest", "--mode", mode, "--vcpus", "4096", "--vcpu-type", "EPYC-v4", "--ovmf", firmware])
            XCTAssertEqual(run.status, 0, "\(mode): \(run.stderr)")
            XCTAssertEqual(run.stdout.count, mode == "snp" ? 97 : 65, mode)
            Self.assertWithinBounds(run, "a 64 MiB firmware, \(mode)")
        }

        let pem = try String(contentsOf: seeds.appendingPathComponent("x509/ark.pem"), encoding: .utf8)
        let full = directory + "/full"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: false)
        for index in 0..<16 {
            try String(repeating: pem, count: 16).write(toFile: full + "/bundle\(index).pem", atomically: false, encoding: .utf8)
        }
        let accepted = try Self.measure(["verify", "certs", full])
        XCTAssertEqual(accepted.stderr, "sevhost: certificates: no ASK or ASVK among the certificates\n")
        Self.assertWithinBounds(accepted, "16 files of 16 certificates")

        try pem.write(toFile: full + "/one-more.pem", atomically: false, encoding: .utf8)
        let tooManyFiles = try Self.measure(["verify", "certs", full])
        XCTAssertEqual(tooManyFiles.stderr, "sevhost: \(full): more than 16 files that may hold certificates or a CRL; a certificate directory holds a handful\n")

        // 1 MiB of certificates in one file: some 690, refused at the 17th.
        let crowded = directory + "/crowded"
        try FileManager.default.createDirectory(atPath: crowded, withIntermediateDirectories: false)
        try String(repeating: pem, count: (1 << 20) / pem.utf8.count).write(toFile: crowded + "/chain.pem", atomically: false, encoding: .utf8)
        let tooManyCertificates = try Self.measure(["verify", "certs", crowded])
        XCTAssertEqual(tooManyCertificates.stderr, "sevhost: \(crowded)/chain.pem: not a certificate or CRL: more than 16 certificates in one file; a chain holds at most 4\n")
        Self.assertWithinBounds(tooManyCertificates, "1 MiB of certificates")

        // A spec of 1 MiB, nearly all of it comments, naming the 64 MiB firmware: both read and checked.
        let spec = directory + "/big.yaml"
        let body = "name: g\nvcpus: 1\ncpu: EPYC-v4\nmemory: 1G\nfirmware:\n  path: \(firmware)\nconfidential:\n  type: sev-snp\n"
        let comment = "# " + String(repeating: "x", count: 77) + "\n"
        try (body + String(repeating: comment, count: ((1 << 20) - body.utf8.count) / comment.utf8.count)).write(toFile: spec, atomically: false, encoding: .utf8)
        let launch = try Self.measure(["launch", spec, "--print", "json"])
        XCTAssertEqual(launch.status, 0, launch.stderr)
        XCTAssertEqual(launch.stderr, "")
        Self.assertWithinBounds(launch, "a 1 MiB spec")
    }

    /// Standard input bounded too: an endless one is cut at the answer's limit.
    func testAnEndlessStandardInputIsCut() throws {
        let run = try Self.measure(["attest", "inject", "--qmp", directory + "/none.sock", "-"], stdin: "/dev/zero")
        XCTAssertEqual(run.stderr, "sevhost: ANSWER standard input: larger than 1 MiB, the most an attestation bundle or answer may hold\n")
        Self.assertWithinBounds(run, "an endless standard input")
    }

    /// A captured host whose JSON is 1 GiB, or whose /proc files are devices.
    func testACapturedHostOfHugeFilesIsRefused() throws {
        let capture = directory + "/host"
        let fixture = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
        try FileManager.default.removeItem(atPath: capture)
        try FileManager.default.copyItem(atPath: fixture, toPath: capture)
        try FileManager.default.removeItem(atPath: capture + "/cpuid.json")
        XCTAssertEqual(symlink(big, capture + "/cpuid.json"), 0)
        let run = try Self.measure(["ok", "--host-root", capture])
        XCTAssertEqual(run.stderr, "sevhost: captured host: \(capture)/cpuid.json: larger than 4 MiB, the most a captured host's JSON file may hold\n")
        Self.assertWithinBounds(run, "a captured host of 1 GiB")
    }

    // MARK: -

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var peakBytes: Int
        /// Processor time, user and system.
        var processorSeconds: Double
        /// Wall-clock time.
        var seconds: Double
    }

    static func assertWithinBounds(_ run: Run, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(run.peakBytes, memoryLimit, "\(label): peak RSS \(run.peakBytes >> 20) MiB", file: file, line: line)
        XCTAssertLessThan(run.processorSeconds, timeLimit, "\(label): \(run.processorSeconds) s of processor time", file: file, line: line)
        XCTAssertLessThan(run.seconds, clockLimit, "\(label): \(run.seconds) s by the clock", file: file, line: line)
    }

    /// Runs sevhost with its output to files and reads its rusage with wait4, through a small
    /// Python parent that forks it. Linux keeps the peak RSS of the memory a process had before
    /// exec, and a child posix_spawn'ed straight from this test process starts on the test
    /// process's memory (vfork), so its ru_maxrss would be at least the test process's own peak
    /// (over 256 MiB late in the full suite). A fork of the small parent starts near 10 MiB.
    static func measure(_ arguments: [String], stdin: String = "/dev/null") throws -> Run {
        let out = NSTemporaryDirectory() + "measure-\(UUID().uuidString)"
        defer { unlink(out + ".out"); unlink(out + ".err") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, out + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let parent = try Peers.executable("/usr/bin/python3")
        let argv = ([parent.path, "-c", Self.forkingParent, out + ".usage", Peers.sevhost.path] + arguments).map { strdup($0) } + [nil]
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["SEVHOST_KDS_URL"] = "http://127.0.0.1:9"
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        defer { unlink(out + ".usage") }
        var pid: pid_t = 0
        let started = Date()
        guard posix_spawn(&pid, parent.path, &actions, &attributes, argv, envp) == 0 else { throw POSIXError(.ENOEXEC) }
        // Past the limit the run is a failure anyway; do not wait for a runaway forever.
        let watchdog = DispatchWorkItem { kill(-pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + clockLimit * 2, execute: watchdog)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        watchdog.cancel()
        let seconds = Date().timeIntervalSince(started)
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        // The parent's report: peak RSS in KiB, then user and system seconds, of sevhost alone.
        let report = ((try? String(contentsOfFile: out + ".usage", encoding: .utf8)) ?? "").split(separator: " ")
        guard report.count == 3, let peakKiB = Int(report[0]), let user = Double(report[1]), let system = Double(report[2]) else {
            // No report: the watchdog ended the run (a bound broken), or the parent failed.
            throw POSIXError(seconds >= clockLimit * 2 ? .ETIMEDOUT : .EIO)
        }
        return Run(
            status: exitStatus,
            stdout: (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "",
            peakBytes: peakKiB * 1024,
            processorSeconds: user + system,
            seconds: seconds)
    }

    /// The parent `measure` runs sevhost under: forks, execs sevhost (argv[2...]) in the child,
    /// waits with wait4 and writes "maxrss-KiB user-s system-s" to argv[1]; exits as sevhost did.
    static let forkingParent = """
        import os, sys
        pid = os.fork()
        if pid == 0:
            try:
                os.execv(sys.argv[2], sys.argv[2:])
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        with open(sys.argv[1], "w") as report:
            report.write(f"{usage.ru_maxrss} {usage.ru_utime} {usage.ru_stime}")
        if os.WIFSIGNALED(status):
            os._exit(128 + os.WTERMSIG(status))
        os._exit(os.WEXITSTATUS(status))
        """
}
