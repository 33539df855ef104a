import Foundation
import XCTest

@testable import SEVDaemon

final class SupervisionPartsTests: XCTestCase {
    func testExitStatusesSayHowQEMUEnded() {
        XCTAssertEqual(ExitStatus(waitStatus: 0).description, "QEMU exited with status 0")
        XCTAssertTrue(ExitStatus(waitStatus: 0).isClean)
        XCTAssertEqual(ExitStatus(waitStatus: 1 << 8).description, "QEMU exited with status 1")
        XCTAssertEqual(ExitStatus(waitStatus: 9).description, "QEMU was killed by signal 9 (SIGKILL)")
        XCTAssertEqual(ExitStatus(waitStatus: 11).description, "QEMU was killed by signal 11 (SIGSEGV)")
        XCTAssertFalse(ExitStatus(waitStatus: 15).isClean)
        XCTAssertEqual(ExitStatus.unknown.description, "QEMU exited")
    }

    /// The child gets stdin, stdout and stderr and nothing else of the daemon's (a leaked
    /// listening socket would keep answering for a dead daemon), runs in its own session, in
    /// the VM's directory.
    func testSpawnedProcessesGetOnlyTheirLogAndTheirOwnSession() throws {
        var template = Array("/tmp/sevhostd-spawn-XXXXXX".utf8CString)
        let directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A descriptor the daemon holds without O_CLOEXEC.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        // ls opens one descriptor of its own, to read the directory: the lowest free one, 3,
        // unless something leaked in. (A shell pipeline would add its pipes, racily.)
        let descriptors = try spawnAndRead("/bin/ls", ["-1", "/proc/self/fd"], in: directory)
        XCTAssertGreaterThan(leaked, 2)
        XCTAssertEqual(descriptors, ["0", "1", "2", "3"])
        let identity = try spawnAndRead("/bin/sh", ["-c", "pwd; ps -o sid= -p $$; echo $$"], in: directory)
        XCTAssertEqual(identity.count, 3, "\(identity)")
        XCTAssertEqual(identity.first, directory)
        XCTAssertEqual(identity.dropFirst().first, identity.last, "the child leads its own session")
    }

    /// Runs `program` through QEMUProcess.spawn and returns the lines of its log.
    private func spawnAndRead(_ program: String, _ arguments: [String], in directory: String) throws -> [String] {
        let log = directory + "/\(UUID().uuidString).log"
        let pid = try QEMUProcess.spawn(program: program, arguments: arguments, directory: directory, log: log)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertEqual(ExitStatus(waitStatus: status), .exited(0))
        return try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func testASpawnFailureNamesTheProgram() {
        XCTAssertThrowsError(try QEMUProcess.spawn(program: "/nonexistent/qemu", arguments: [], directory: "/tmp", log: "/dev/null")) {
            XCTAssertEqual("\($0)", "cannot run /nonexistent/qemu: No such file or directory")
        }
    }

    func testARunningProcessIsRecognisedOnlyByItsQMPSocket() throws {
        // The socket rides along as the shell's positional parameters, as QEMU's argv carries it.
        let pid = try QEMUProcess.spawn(
            program: "/bin/sh", arguments: ["-c", "sleep 30; exit 0", "sh", "-qmp", "unix:/run/test-vm.qmp,server=on,wait=off"],
            directory: "/tmp", log: "/dev/null")
        // The kernel fills the command line in at the end of exec, after posix_spawn returns.
        waitUntil { (try? FileHandle(forReadingAtPath: "/proc/\(pid)/cmdline")?.readToEnd())??.isEmpty == false }
        XCTAssertTrue(QEMUProcess.isRunning(pid: pid, qmpSocket: "/run/test-vm.qmp"))
        XCTAssertFalse(QEMUProcess.isRunning(pid: pid, qmpSocket: "/run/other-vm.qmp"))
        // Found without its pid, as a restarted daemon finds a QEMU whose pid it never recorded.
        XCTAssertEqual(QEMUProcess.find(qmpSocket: "/run/test-vm.qmp"), pid)
        XCTAssertNil(QEMUProcess.find(qmpSocket: "/run/other-vm.qmp"))
        // The whole session (the shell and its sleep) goes.
        kill(-pid, SIGKILL)
        // Dead but not yet collected: a zombie is not running.
        waitUntil { (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") == true }
        XCTAssertFalse(QEMUProcess.isRunning(pid: pid, qmpSocket: "/run/test-vm.qmp"))
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertFalse(QEMUProcess.isRunning(pid: pid, qmpSocket: "/run/test-vm.qmp"))
        XCTAssertFalse(QEMUProcess.isRunning(pid: Int32.max, qmpSocket: "/run/test-vm.qmp"))
    }

    /// Polls `condition` every millisecond for at most five seconds.
    private func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(5)
        while !condition(), Date() < deadline { usleep(1000) }
    }

    func testLogTailReadsTheLastLines() throws {
        let path = NSTemporaryDirectory() + "sevhostd-tail-\(getpid()).log"
        defer { unlink(path) }
        let text = (1...5000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(LogTail.lines(of: path, count: 3, maximumBytes: 100), ["line 4998", "line 4999", "line 5000"])
        // Never more than the bound is read: 1000 bytes hold the last 100 lines ("line 4901\n"…), the first cut one dropped.
        XCTAssertEqual(LogTail.lines(of: path, count: 6000, maximumBytes: 1000).first, "line 4902")
        XCTAssertEqual(LogTail.lines(of: path, count: 1), ["line 5000"])
        XCTAssertEqual(LogTail.lines(of: path, count: 6000).count, 5000)
        XCTAssertEqual(LogTail.lines(of: path + ".missing", count: 3), [])
    }

    func testAccessIsForListedUsersAndTheGroup() {
        let policy = AccessPolicy(users: [0, 1000], group: 990)
        let me = getpid()
        XCTAssertTrue(policy.allows(PeerCredentials(pid: me, uid: 0, gid: 0)))
        XCTAssertTrue(policy.allows(PeerCredentials(pid: me, uid: 1000, gid: 1000)))
        XCTAssertTrue(policy.allows(PeerCredentials(pid: me, uid: 1234, gid: 990)))
        // This test process (root here, or a developer) is not in group 990 as a supplementary group.
        XCTAssertFalse(policy.allows(PeerCredentials(pid: me, uid: 65534, gid: 65534)))
    }

    func testTimestampsAreRFC3339UTCWithMilliseconds() {
        let stamp = Timestamp.now()
        XCTAssertNotNil(stamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression), stamp)
    }
}
