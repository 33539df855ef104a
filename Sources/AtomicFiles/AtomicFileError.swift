#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an all-or-nothing write failed: the file it was for, the step that failed, and the
/// operating system's reason. Never the bytes being written (they may be a key).
public struct AtomicFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The steps of a write, in the order they happen.
    public enum Step: String, Sendable, Hashable {
        /// Creating a missing directory the file goes in.
        case createDirectory
        /// Creating the temporary file next to the destination, with its final mode.
        case create
        /// Writing the bytes, or flushing them to the disk (fsync).
        case write
        /// Keeping a link to the file a set replaces, so a failed set can put it back.
        case keepPrevious
        /// Renaming the temporary file over the destination.
        case rename
        /// Flushing the directory, so the rename itself survives a crash.
        case syncDirectory
    }

    /// The destination path (not the temporary one: that name means nothing to a user).
    public var path: String
    public var step: Step
    /// `strerror` of the failure, e.g. `No space left on device`.
    public var reason: String

    /// The failure of `step` for `path`, with the reason `errno` holds now.
    public static func current(_ path: String, _ step: Step) -> AtomicFileError {
        AtomicFileError(path: path, step: step, reason: String(cString: strerror(errno)))
    }

    public var description: String {
        switch step {
        case .createDirectory: "\(path): cannot create the directory: \(reason)"
        case .create: "\(path): cannot create: \(reason)"
        case .write: "\(path): cannot write: \(reason)"
        case .keepPrevious: "\(path): cannot keep the previous file while replacing it: \(reason)"
        case .rename: "\(path): cannot put in place: \(reason)"
        case .syncDirectory: "\(path): cannot flush its directory: \(reason)"
        }
    }
}
