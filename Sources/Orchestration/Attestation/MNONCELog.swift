import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SEVKit

/// The replay log: every MNONCE whose measurement `attest` accepted.
///
/// The firmware picks a fresh random 16-byte MNONCE at each LAUNCH_MEASURE, so a measurement
/// whose MNONCE was already accepted is an old measurement replayed by the host (for another
/// launch, or to get the same secret injected twice). `attest` refuses such a measurement
/// before injecting anything, and records an MNONCE as soon as its measurement is verified
/// (before the injection, so a failed injection still burns it).
///
/// Format: one line per MNONCE, `<32 hex digits> <ISO 8601 UTC time>`, appended to a 0600
/// file; lines that do not parse are ignored.
public struct MNONCELog: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `$SEVHOST_STATE_DIR/mnonce.log`, else `$XDG_STATE_HOME/sevhost/mnonce.log`, else
    /// `~/.local/state/sevhost/mnonce.log`.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["SEVHOST_STATE_DIR"], !dir.isEmpty { return dir + "/mnonce.log" }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/sevhost/mnonce.log" }
        return NSHomeDirectory() + "/.local/state/sevhost/mnonce.log"
    }

    /// When `mnonce` was recorded, nil when never.
    public func firstSeen(_ mnonce: [UInt8]) throws(AttestationError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw .nonceLog("\(path): cannot be read") }
        let wanted = Hex.encode(mnonce)
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.first.map(String.init)?.lowercased() == wanted {
                return fields.count > 1 ? "recorded \(fields[1]) in \(path)" : "recorded in \(path)"
            }
        }
        return nil
    }

    /// Appends `mnonce` with the current time.
    public func record(_ mnonce: [UInt8]) throws(AttestationError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .nonceLog("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let formatter = ISO8601DateFormatter()
        let line = Array("\(Hex.encode(mnonce)) \(formatter.string(from: Date()))\n".utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw .nonceLog("\(path): cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
