#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing files all or nothing, with their final permissions from the moment they exist.
///
/// Every file sevhost and its simulators write goes through here: key material (a TEK, an OCA
/// key, a simulated platform's private keys), certificates, downloaded KDS answers, state. The
/// rules, in order:
/// 1. a temporary file is created next to the destination with `O_EXCL` and the final mode,
///    and `fchmod` sets that mode exactly before any byte is written, so a secret is never
///    readable by others for a moment, whatever the umask (`creationObserver` lets a test see
///    the file as first created);
/// 2. the bytes are written and `fsync`ed;
/// 3. it is renamed over the destination (atomic within one file system: a reader sees the old
///    file or the new one, never half of one);
/// 4. the directory is `fsync`ed, so the rename itself survives a crash.
///
/// A failure at any step is an error, and leaves the destination as it was.
public enum AtomicFile {
    /// Owner read/write only: anything holding key material or a secret.
    public static let secretMode: mode_t = 0o600
    /// World-readable: certificates, digests, public state.
    public static let publicMode: mode_t = 0o644
    /// A directory for state, keys or secrets: the owner's alone.
    public static let privateDirectoryMode: mode_t = 0o700
    /// A directory for public outputs (certificates, ID blocks).
    public static let publicDirectoryMode: mode_t = 0o755

    /// Called with each temporary file's path and its permission bits as `fstat` reports them
    /// right after it was created, before its mode is set again or a byte is written: the seam
    /// a test uses to see that a secret file exists with its final mode from the start.
    @TaskLocal public static var creationObserver: (@Sendable (_ path: String, _ mode: mode_t) -> Void)?

    /// Writes `bytes` to `path` (see the rules above).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = publicMode) throws(AtomicFileError) {
        var set = AtomicFileSet()
        set.add(path, bytes, mode: mode)
        try set.commit()
    }

    /// Creates a new temporary file for `destination` in its directory and writes `bytes` into
    /// it; returns the temporary path. On failure nothing is left behind.
    static func writeTemporary(for destination: String, _ bytes: [UInt8], mode: mode_t) throws(AtomicFileError) -> String {
        let temporary = sibling(of: destination, suffix: "tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .current(destination, .create) }
        if let observer = creationObserver {
            var info = stat()
            if fstat(fd, &info) == 0 { observer(temporary, info.st_mode & 0o7777) }
        }
        // The umask may have taken bits away (a public file under umask 077); set exactly the
        // mode asked for while the file is still empty.
        guard fchmod(fd, mode) == 0 else {
            let error = AtomicFileError.current(destination, .create)
            close(fd)
            unlink(temporary)
            throw error
        }
        var failure: AtomicFileError?
        bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let count = systemWrite(fd, raw.baseAddress! + written, raw.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = .current(destination, .write)
                    return
                }
                written += count
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .current(destination, .write) }
        if close(fd) != 0, failure == nil { failure = .current(destination, .write) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        return temporary
    }

    /// `DIR/.NAME.PID.RANDOM.SUFFIX`: hidden, unique, and on the destination's file system.
    static func sibling(of path: String, suffix: String) -> String {
        let (directory, name) = split(path)
        return "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).\(suffix)"
    }

    /// The directory (`.` for a bare name) and the last component of `path`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Creates `path` and any missing parent with exactly `mode` (0700 by default: a directory
    /// sevhost makes holds its state, keys or outputs, whatever the umask); returns the
    /// directories it created, outermost first. An existing directory is left as it is; an
    /// existing non-directory is an error.
    @discardableResult
    public static func createDirectories(_ path: String, mode: mode_t = privateDirectoryMode) throws(AtomicFileError) -> [String] {
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", current != "." {
            var info = stat()
            if stat(current, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    errno = ENOTDIR
                    throw .current(current, .createDirectory)
                }
                break
            }
            guard errno == ENOENT else { throw .current(current, .createDirectory) }
            missing.append(current)
            let parent = split(current).directory
            if parent == current { break }
            current = parent
        }
        var created: [String] = []
        for directory in missing.reversed() {
            guard mkdir(directory, mode) == 0 else {
                if errno == EEXIST { continue }
                let error = AtomicFileError.current(directory, .createDirectory)
                for made in created.reversed() { rmdir(made) }
                throw error
            }
            // mkdir's mode passes through the umask; set it exactly.
            chmod(directory, mode)
            created.append(directory)
        }
        return created
    }

    /// Flushes `directory` itself, so renames into it are on the disk.
    static func syncDirectory(_ directory: String, for path: String) throws(AtomicFileError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .current(path, .syncDirectory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .current(path, .syncDirectory) }
    }
}

/// write(2), named apart from `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
