#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// All-or-nothing file writes for the simulator's state and its guest-visible secret.
public enum SimulatorFiles {
    /// Writes through a temporary file created with `mode` (before any byte is written) in the
    /// same directory, then renames it into place.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws(SimulatorError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .file("\(path): cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .file("\(path): cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
