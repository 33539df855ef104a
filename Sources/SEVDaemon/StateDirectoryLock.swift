import Foundation

/// One sevhostd per state directory: an exclusive `flock` on `sevhostd.pid` in it, held for
/// the daemon's life, with the holder's pid written inside so a second daemon can name it.
///
/// Two daemons on one store would each supervise the same guests, replace each other's socket
/// and race on every VM's files. The lock, not the pid in the file, decides: a daemon killed
/// with SIGKILL leaves its pid behind but not its lock, so the next one starts. The descriptor
/// is close-on-exec, so QEMU children never keep the lock after the daemon is gone.
final class StateDirectoryLock {
    static let fileName = "sevhostd.pid"

    private let descriptor: Int32

    /// Takes the lock or says who holds it.
    init(stateDirectory: String) throws(DaemonServer.StartupError) {
        let path = stateDirectory + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0o644)
        guard fd >= 0 else {
            throw DaemonServer.StartupError(description: "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            let holder = Self.pid(in: fd)
            close(fd)
            guard error == EWOULDBLOCK else {
                throw DaemonServer.StartupError(description: "\(path): cannot lock: \(String(cString: strerror(error)))")
            }
            let who = holder.map { "sevhostd pid \($0)" } ?? "another sevhostd"
            throw DaemonServer.StartupError(
                description: "\(stateDirectory): in use by \(who) (it holds \(Self.fileName)); one daemon per state directory")
        }
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0, pwrite(fd, text, text.count, 0) == text.count else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DaemonServer.StartupError(description: "\(path): cannot write the pid: \(reason)")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The pid written in the lock file, if it holds one (at most 16 bytes are read).
    private static func pid(in fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
