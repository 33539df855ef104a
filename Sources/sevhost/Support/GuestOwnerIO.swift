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

    /// sevctl's convention for keys and blobs: an existing file path, else base64 text.
    /// A file holding base64 text (as saved from QMP or virsh) is accepted too when its raw
    /// size is not the expected one but its decoded size is.
    static func fixed(_ value: String, option: String, count: Int) throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: value) {
            let bytes = try read(value, option: option, .smallBlob)
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
