#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file could not be read as the input it was meant to be: one line naming the file and
/// what was wrong, never a byte of its contents.
public struct FileReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// No file at that path.
        case missing
        /// Something other than a regular file: `kind` says what (`a directory`, `a FIFO`…).
        case notRegular(kind: String)
        /// More bytes than `limit`, the most `what` may hold.
        case tooLarge(limit: Int64, what: String)
        /// The OS refused to open or read it; `errno` says why.
        case system(errno: Int32, step: String)
    }

    /// The path as the user gave it.
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(problem)" }

    /// The message without the path, for callers that name the file their own way.
    public var problem: String {
        switch reason {
        case .missing:
            "No such file or directory"
        case .notRegular(let kind):
            "\(kind), expected a regular file"
        case .tooLarge(let limit, let what):
            "larger than \(Self.size(limit)), the most \(what) may hold"
        case .system(let errno, let step):
            "cannot \(step): \(String(cString: strerror(errno)))"
        }
    }

    /// `4096 bytes`, `64 MiB`: exact, in the largest binary unit that divides the size.
    static func size(_ bytes: Int64) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) bytes"
    }

    /// What a `st_mode` that is not a regular file holds, as a message says it.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}
