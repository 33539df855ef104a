import BoundedFiles
import CProcess
import Foundation

/// Starting QEMU so that it outlives the daemon: its own session (a `kill -9` of sevhostd, or
/// of its process group, leaves the guests running), its working directory the VM's, its
/// output appended to the VM's `qemu.log`.
enum QEMUProcess {
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    static func spawn(program: String, arguments: [String], directory: String, log: String) throws(SpawnError) -> Int32 {
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpawnError(description: "cannot open \(log): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pid: pid_t = 0
        let status = csev_spawn_session(program, argv, environment, directory, fd, &pid)
        guard status == 0 else { throw SpawnError(description: "cannot run \(program): \(String(cString: strerror(status)))") }
        return pid
    }

    /// Whether `pid` is alive and still the QEMU of `qmpSocket` (its command line names the
    /// socket), so a pid reused by an unrelated process after a reboot is not mistaken for it.
    static func isRunning(pid: Int32, qmpSocket: String) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        // A zombie has exited; its parent has not collected it yet.
        guard let stat = readProcFile(pid, "stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")),
              close + 2 < stat.count, stat[close + 2] != UInt8(ascii: "Z"), stat[close + 2] != UInt8(ascii: "X")
        else { return false }
        guard let commandLine = readProcFile(pid, "cmdline") else { return false }
        // Empty only while the process is between fork and exec (the kernel fills it in last).
        guard !commandLine.isEmpty else { return true }
        return commandLine.split(separator: 0).contains { String(decoding: $0, as: UTF8.self).contains(qmpSocket) }
    }

    /// A /proc file read to its end (they report a size of 0, so a read sized by stat gets
    /// nothing), within the bound of a command line.
    private static func readProcFile(_ pid: Int32, _ name: String) -> [UInt8]? {
        try? BoundedFile.read("/proc/\(pid)/\(name)", .processFile)
    }

    /// The live process with `-qmp unix:QMPSOCKET,...` on its command line, found by looking
    /// through /proc: for a daemon killed after starting QEMU but before it recorded the pid,
    /// and before QEMU wrote its pid file.
    static func find(qmpSocket: String) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).sorted().first { pid in
            guard let commandLine = readProcFile(pid, "cmdline"), !commandLine.isEmpty else { return false }
            let words = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return zip(words, words.dropFirst()).contains { $0 == "-qmp" && $1.hasPrefix("unix:" + qmpSocket + ",") }
                && isRunning(pid: pid, qmpSocket: qmpSocket)
        }
    }

    /// The pid QEMU wrote with `-pidfile`.
    static func readPidFile(_ path: String) -> Int32? {
        guard let text = try? BoundedFile.readText(path, .pidFile) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0 > 0 ? $0 : nil }
    }
}
