import Foundation
import SEVTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// No command holds more than 256 MiB or runs longer than 10 s, whatever file it is given
/// (finding 4 of issue 17): a sparse 1 GiB file, an endless device, a FIFO nobody writes to,
/// in every place a command reads one. Each run is measured from outside (wait4's rusage for
/// the peak resident size, the clock for the time), and must end with a one-line error, or,
/// where a 1 GiB input is legitimate (a kernel or initrd, streamed), succeed.
final class ResourceLimitTests: XCTestCase {
    static let memoryLimit = 256 << 20
    static let timeLimit: Double = 10

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
                let run = try Self.measure(arguments.map { $0.replacingOccurrences(of: "FILE", with: input) })
                let label = "sevhost \(arguments.joined(separator: " ")) with \(input)"
                XCTAssertLessThan(run.peakBytes, Self.memoryLimit, "\(label): peak RSS \(run.peakBytes >> 20) MiB")
                XCTAssertLessThan(run.seconds, Self.timeLimit, "\(label): \(run.seconds) s")
                XCTAssertNotEqual(run.status, 0, label)
                XCTAssertEqual(run.stderr.split(separator: "\n").first.map { $0.hasPrefix("sevhost: ") }, true, "\(label): \(run.stderr)")
                if input != big {
                    XCTAssertTrue(run.stderr.contains("expected a regular file"), "\(label): \(run.stderr)")
                }
            }
        }
    }

    /// Kernels and initrds of 1 GiB are legitimate: streamed through SHA-256 within the bounds.
    func testAGibibyteKernelAndInitrdAreHashedWithinTheBounds() throws {
        let firmware = try TestData.url("virtee-sevctl/tests/data/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9").path
        let run = try Self.measure(["digest", "--mode", "sev", "--ovmf", firmware, "--kernel", big, "--initrd", big, "--append", "x"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.count, 65)
        XCTAssertLessThan(run.peakBytes, Self.memoryLimit, "peak RSS \(run.peakBytes >> 20) MiB")
        XCTAssertLessThan(run.seconds, Self.timeLimit)
        for device in ["/dev/zero", fifo] {
            let endless = try Self.measure(["digest", "--mode", "sev", "--ovmf", firmware, "--kernel", device])
            XCTAssertEqual(endless.stderr, "sevhost: \(device): \(device == fifo ? "a FIFO (named pipe)" : "a character device"), expected a regular file\n")
        }
    }

    /// Standard input bounded too: an endless one is cut at the answer's limit.
    func testAnEndlessStandardInputIsCut() throws {
        let run = try Self.measure(["attest", "inject", "--qmp", directory + "/none.sock", "-"], stdin: "/dev/zero")
        XCTAssertEqual(run.stderr, "sevhost: ANSWER standard input: larger than 1 MiB, the most an attestation bundle or answer may hold\n")
        XCTAssertLessThan(run.peakBytes, Self.memoryLimit)
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
        XCTAssertLessThan(run.peakBytes, Self.memoryLimit)
    }

    // MARK: -

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var peakBytes: Int
        var seconds: Double
    }

    /// Runs sevhost with posix_spawn, its output to files, and reads its rusage with wait4.
    static func measure(_ arguments: [String], stdin: String = "/dev/null") throws -> Run {
        let out = NSTemporaryDirectory() + "measure-\(UUID().uuidString)"
        defer { unlink(out + ".out"); unlink(out + ".err") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, out + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([Peers.sevhost.path] + arguments).map { strdup($0) } + [nil]
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["SEVHOST_KDS_URL"] = "http://127.0.0.1:9"
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let started = Date()
        guard posix_spawn(&pid, Peers.sevhost.path, &actions, nil, argv, envp) == 0 else { throw POSIXError(.ENOEXEC) }
        // Past the limit the run is a failure anyway; do not wait for a runaway forever.
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit * 3, execute: watchdog)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        watchdog.cancel()
        let seconds = Date().timeIntervalSince(started)
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Run(
            status: exitStatus,
            stdout: (try? String(contentsOfFile: out + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "",
            peakBytes: Int(usage.ru_maxrss) * 1024, seconds: seconds)
    }
}
