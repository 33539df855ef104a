import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file all-or-nothing: a temporary file in the destination's directory, then a rename
/// (atomic on one file system), so readers never see a partial file.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL, permissions: Int = 0o644) throws {
        let dir = url.deletingLastPathComponent()
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard FileManager.default.createFile(atPath: temp.path, contents: Data(bytes), attributes: [.posixPermissions: permissions]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        // POSIX rename replaces an existing destination atomically.
        guard rename(temp.path, url.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temp)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }
}
