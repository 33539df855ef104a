import BoundedFiles
import Foundation
import Orchestration
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

    /// sevctl's convention for keys and blobs: an existing file path, else text. Whether the
    /// file or text is raw, base64, hex or a saved QMP reply or virsh listing is SEVKit's
    /// `BlobText` decision, the same for every command.
    static func blob(_ value: String, option: String, _ sizes: BlobText.Sizes, limit: InputLimit = .smallBlob) throws -> [UInt8] {
        if FileManager.default.fileExists(atPath: value) {
            do {
                return try BlobText.decode(file: try read(value, option: option, limit), sizes)
            } catch let error as BlobText.DecodeError {
                throw CommandFailure("\(option) \(value): \(error)")
            }
        }
        do {
            return try BlobText.decode(text: value, sizes)
        } catch .unrecognised {
            throw CommandFailure("\(option): not an existing file, nor base64 or hex of \(sizes)")
        } catch {
            throw CommandFailure("\(option): \(error)")
        }
    }

    /// An attestation bundle file (`attest export`, `vm measurement`).
    static func bundle(_ path: String) throws(CommandFailure) -> AttestationBundle {
        let bytes = try read(path, option: "--bundle", .bundle)
        do {
            return try AttestationBundle(json: bytes, name: path)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// SEV certificates from a file: raw as the firmware and sevctl write them, or base64 as
    /// QEMU's `query-sev-capabilities` and virsh hand them out.
    static func certificates(_ path: String, option: String) throws(CommandFailure) -> [UInt8] {
        // 832 bytes: the smallest AMD CA certificate (Naples' RSA-2048 ASK and ARK).
        BlobText.decode(certificateFile: try read(path, option: option, .sevCertificates), minimum: 832)
    }

    /// `count` bytes: a file (raw, base64 or hex) or base64 or hex text.
    static func fixed(_ value: String, option: String, count: Int) throws -> [UInt8] {
        try blob(value, option: option, .exactly(count))
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
