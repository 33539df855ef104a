import BoundedFiles
import Foundation
import SEVKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading the guest owner's inputs with errors that name the file or option.
enum GuestOwnerInput {
    /// The bytes of `path`, at most `limit`; the error names the option and the file.
    static func read(_ path: String, option: String, _ limit: InputLimit) throws(CommandFailure) -> [UInt8] {
        do {
            return try BoundedFile.read(path, limit)
        } catch {
            throw CommandFailure("\(option) \(error)")
        }
    }

    /// Like `read`, with `-` meaning standard input (an answer piped from the guest owner).
    static func readOrStandardInput(_ path: String, option: String, _ limit: InputLimit) throws(CommandFailure) -> [UInt8] {
        guard path == "-" else { return try read(path, option: option, limit) }
        do {
            return try BoundedFile.readStandardInput(limit)
        } catch {
            throw CommandFailure("\(option) \(error)")
        }
    }

    /// A guest physical address in decimal or 0x-prefixed hex.
    static func address(_ text: String, option: String) throws -> UInt64 {
        guard let value = try? IntegerText.parse(text, as: UInt64.self) else {
            throw CommandFailure("\(option) \(text): expected a decimal or 0x-prefixed hex address")
        }
        return value
    }

    /// sevctl's convention for keys and blobs: an existing file path, else text. A file may
    /// hold the raw bytes or, as saved from QMP, virsh or `sevhost qmp`, their base64 or hex;
    /// text may be base64 or hex. Each form is told apart by its length (`count` bytes are
    /// `2 × count` hex digits, never the length of their base64), so none is ambiguous.
    static func fixed(_ value: String, option: String, count: Int) throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: value) {
            let bytes = try read(value, option: option, .smallBlob)
            if bytes.count == count { return bytes }
            if let decoded = text(String(decoding: bytes, as: UTF8.self), count: count) { return decoded }
            throw CommandFailure("\(option) \(value): expected \(count) bytes (raw, base64 or hex), found \(bytes.count) bytes")
        }
        if let decoded = text(value, count: count) { return decoded }
        if let decoded = base64(value) {
            throw CommandFailure("\(option): expected \(count) bytes, the base64 text decodes to \(decoded.count)")
        }
        throw CommandFailure("\(option): not an existing file, nor base64 or hex of \(count) bytes")
    }

    /// `count` bytes from hex (`2 × count` digits, `0x` allowed) or base64 text.
    private static func text(_ text: String, count: Int) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let digits = trimmed.hasPrefix("0x") ? String(trimmed.dropFirst(2)) : trimmed
        if digits.count == 2 * count, let bytes = Hex.decode(digits), bytes.count == count { return bytes }
        if let decoded = base64(trimmed), decoded.count == count { return decoded }
        return nil
    }

    static func base64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)).map { [UInt8]($0) }
    }

    /// An unsigned 32-bit value in decimal or 0x-prefixed hex.
    static func uint32(_ text: String, option: String) throws -> UInt32 {
        guard let value = try? IntegerText.parse(text, as: UInt32.self) else {
            throw CommandFailure("\(option) \(text): expected a 32-bit integer, decimal or 0x-prefixed hex")
        }
        return value
    }

    /// An 8-bit value in decimal or 0x-prefixed hex.
    static func uint8(_ text: String, option: String) throws -> UInt8 {
        do {
            return try IntegerText.parse(text, as: UInt8.self)
        } catch .notANumber {
            throw CommandFailure("\(option) \(text): expected a 32-bit integer, decimal or 0x-prefixed hex")
        } catch {
            throw CommandFailure("\(option) \(text): expected a value from 0 to 255")
        }
    }
}
