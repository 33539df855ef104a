import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading the guest owner's inputs with errors that name the file or option.
enum GuestOwnerInput {
    /// The bytes of `path`; the error names the option and the file.
    static func read(_ path: String, option: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw CommandFailure("\(option) \(path): file \(reason)")
        }
        return [UInt8](data)
    }

    /// Like `read`, with `-` meaning standard input (an answer piped from the guest owner).
    static func readOrStandardInput(_ path: String, option: String) throws -> [UInt8] {
        guard path == "-" else { return try read(path, option: option) }
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }

    /// A guest physical address in decimal or 0x-prefixed hex.
    static func address(_ text: String, option: String) throws -> UInt64 {
        let lower = text.lowercased()
        guard let value = lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower) else {
            throw CommandFailure("\(option) \(text): expected a decimal or 0x-prefixed hex address")
        }
        return value
    }

    /// sevctl's convention for keys and blobs: an existing file path, else base64 text.
    /// A file holding base64 text (as saved from QMP or virsh) is accepted too when its raw
    /// size is not the expected one but its decoded size is.
    static func fixed(_ value: String, option: String, count: Int) throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: value) {
            let bytes = try read(value, option: option)
            if bytes.count == count { return bytes }
            if let decoded = base64(String(decoding: bytes, as: UTF8.self)), decoded.count == count { return decoded }
            throw CommandFailure("\(option) \(value): expected \(count) bytes (raw or base64), found \(bytes.count) bytes")
        }
        guard let decoded = base64(value) else {
            throw CommandFailure("\(option): not an existing file and not valid base64")
        }
        guard decoded.count == count else {
            throw CommandFailure("\(option): expected \(count) bytes, the base64 text decodes to \(decoded.count)")
        }
        return decoded
    }

    static func base64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)).map { [UInt8]($0) }
    }

    /// An unsigned 32-bit value in decimal or 0x-prefixed hex.
    static func uint32(_ text: String, option: String) throws -> UInt32 {
        let lower = text.lowercased()
        let value = lower.hasPrefix("0x") ? UInt32(lower.dropFirst(2), radix: 16) : UInt32(lower)
        guard let value else { throw CommandFailure("\(option) \(text): expected a 32-bit integer, decimal or 0x-prefixed hex") }
        return value
    }

    /// An 8-bit value in decimal or 0x-prefixed hex.
    static func uint8(_ text: String, option: String) throws -> UInt8 {
        let value = try uint32(text, option: option)
        guard value <= 0xff else { throw CommandFailure("\(option) \(text): expected a value from 0 to 255") }
        return UInt8(value)
    }
}

/// Writes a set of output files all or nothing.
///
/// Each file goes to a temporary name in its own directory (created 0600 for secrets, before
/// any byte is written) and is renamed into place only once every file was written; on any
/// failure the temporaries, and files already renamed by this call, are removed.
struct OutputFileSet {
    struct File {
        var path: String
        var bytes: [UInt8]
        var secret: Bool
    }

    var files: [File] = []

    mutating func add(_ path: String, _ bytes: [UInt8], secret: Bool = false) {
        files.append(File(path: path, bytes: bytes, secret: secret))
    }

    func commit() throws {
        var temporaries: [(temp: String, final: String)] = []
        var renamed: [String] = []
        do {
            for file in files {
                let directory = (file.path as NSString).deletingLastPathComponent
                let base = (file.path as NSString).lastPathComponent
                let temp = (directory.isEmpty ? "." : directory) + "/.\(base).\(getpid()).tmp"
                try Self.writeNew(temp, file.bytes, mode: file.secret ? 0o600 : 0o644, final: file.path)
                temporaries.append((temp, file.path))
            }
            for entry in temporaries {
                guard rename(entry.temp, entry.final) == 0 else {
                    throw CommandFailure("\(entry.final): cannot write: \(String(cString: strerror(errno)))")
                }
                renamed.append(entry.final)
            }
        } catch {
            for entry in temporaries { unlink(entry.temp) }
            for path in renamed { unlink(path) }
            throw error
        }
    }

    private static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t, final: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, mode)
        guard fd >= 0 else {
            throw CommandFailure("\(final): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else {
                unlink(path)
                throw CommandFailure("\(final): cannot write: \(String(cString: strerror(errno)))")
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            unlink(path)
            throw CommandFailure("\(final): cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
