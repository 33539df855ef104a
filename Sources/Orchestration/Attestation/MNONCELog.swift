import AtomicFiles
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
/// Format: one entry per line, `<32 hex digits> <ISO 8601 UTC time>`, in a 0600 file. The log
/// is a record, not a hint, so it is read strictly:
/// - every line must be an entry: a log with anything else in it (a torn write, a hand edit)
///   is refused, not skipped, since a skipped line could be an MNONCE that then passes as new;
/// - a last entry without its newline is still an entry, and the next one starts on a line of
///   its own (it is not glued onto it, where it would never be matched again);
/// - the check and the append happen under an exclusive `flock`, so two `attest` runs cannot
///   both accept one MNONCE.
/// The log is read in blocks, never whole: it grows by 54 bytes per attestation.
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

    /// The longest line an entry can be (32 hex digits, a space, a time with fractions and
    /// an offset); anything longer is not an entry.
    static let maximumLineLength = 80

    /// When `mnonce` was recorded, nil when never (or when there is no log yet).
    public func firstSeen(_ mnonce: [UInt8]) throws(AttestationError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if fd < 0, errno == ENOENT { return nil }
        guard fd >= 0 else { throw failure("cannot open") }
        defer { close(fd) }
        try lock(fd, LOCK_SH)
        return try scan(fd, for: Hex.encode(mnonce)).firstSeen
    }

    /// Appends `mnonce` with the current time, unless it is there already (a replay that
    /// raced this one past `firstSeen`), all under an exclusive lock.
    public func record(_ mnonce: [UInt8]) throws(AttestationError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try AtomicFile.createDirectories(directory)
            } catch {
                throw .nonceLog(error.description)
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0o600)
        guard fd >= 0 else { throw failure("cannot open") }
        defer { close(fd) }
        try lock(fd, LOCK_EX)
        let wanted = Hex.encode(mnonce)
        let scanned = try scan(fd, for: wanted)
        if let firstSeen = scanned.firstSeen {
            throw .replayedMeasurement(mnonce: wanted, firstSeen: firstSeen)
        }
        let time = ISO8601DateFormatter().string(from: Date())
        let line = Array(((scanned.endsInNewline ? "" : "\n") + "\(wanted) \(time)\n").utf8)
        var written = 0
        while written < line.count {
            let count = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw failure("cannot write") }
            written += count
        }
        guard fsync(fd) == 0 else { throw failure("cannot write") }
    }

    // MARK: - reading

    private func lock(_ fd: Int32, _ operation: Int32) throws(AttestationError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot read") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .nonceLog("\(path): not a regular file") }
        while flock(fd, operation) != 0 {
            guard errno == EINTR else { throw failure("cannot lock") }
        }
    }

    /// Reads every line from the start, checking each is an entry; returns where `wanted` was
    /// first recorded and whether the file ends with a newline (or is empty).
    private func scan(_ fd: Int32, for wanted: String) throws(AttestationError) -> (firstSeen: String?, endsInNewline: Bool) {
        var offset: off_t = 0
        var line: [UInt8] = []
        var lineNumber = 0
        var found: String?
        var block = [UInt8](repeating: 0, count: 64 << 10)
        func finish(_ line: [UInt8]) throws(AttestationError) {
            lineNumber += 1
            guard let entry = Self.entry(line) else {
                throw .nonceLog("\(path):\(lineNumber): not an entry (32 hex digits, a space and an ISO 8601 time); the log is refused rather than read in part")
            }
            if found == nil, entry.mnonce == wanted { found = "recorded \(entry.time) in \(path)" }
        }
        while true {
            let count = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read") }
            if count == 0 { break }
            offset += off_t(count)
            for byte in block[0..<count] {
                if byte == UInt8(ascii: "\n") {
                    try finish(line)
                    line.removeAll(keepingCapacity: true)
                } else {
                    line.append(byte)
                    if line.count > Self.maximumLineLength {
                        throw .nonceLog("\(path):\(lineNumber + 1): longer than any entry; the log is refused rather than read in part")
                    }
                }
            }
        }
        if !line.isEmpty { try finish(line) }
        return (found, line.isEmpty)
    }

    /// `<32 hex digits> <time>`: the MNONCE in lower case and the time, nil for anything else.
    static func entry(_ line: [UInt8]) -> (mnonce: String, time: String)? {
        guard line.count > 34, line[32] == UInt8(ascii: " ") else { return nil }
        let hex = line[0..<32]
        guard hex.allSatisfy({ isHexDigit($0) }) else { return nil }
        let time = line[33...]
        let timeCharacters = Set("0123456789TZ:.+-".utf8)
        guard time.allSatisfy({ timeCharacters.contains($0) }), time.first.map({ (0x30...0x39).contains($0) }) == true else { return nil }
        return (String(decoding: hex, as: UTF8.self).lowercased(), String(decoding: time, as: UTF8.self))
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private func failure(_ step: String) -> AttestationError {
        .nonceLog("\(path): \(step): \(String(cString: strerror(errno)))")
    }
}
