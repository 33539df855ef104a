import Foundation

/// The directory (0700) that holds the real QEMU's sockets: QEMU's monitors are reachable only
/// through the front, by the front's user. Named for the front's pid, so that the directory of
/// a front that was killed (SIGKILL leaves no time to clean up; its QEMU dies with it) is
/// removed by the next one.
enum PrivateDirectory {
    static let prefix = "sevhost-sim-"

    static func make(in parent: String) throws(FrontArgumentError) -> String {
        var template = Array("\(parent)/\(prefix)\(getpid())-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FrontArgumentError("cannot create a private directory in \(parent): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// Removes this user's directories of fronts that no longer run.
    static func removeAbandoned(in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(prefix) {
            let fields = name.dropFirst(prefix.count).split(separator: "-")
            guard fields.count == 2, let pid = Int32(fields[0]) else { continue }
            let path = parent + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == getuid(), (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
