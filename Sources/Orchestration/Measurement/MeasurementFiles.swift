import BoundedFiles
import SEVKit

/// A file a measurement needs could not be read: one line naming the path and the reason.
public struct MeasurementFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(_ error: FileReadError) {
        self.init(path: error.path, reason: error.problem)
    }

    public var description: String { "\(path): \(reason)" }
}

/// File access for launch-digest computations: whole small files (firmware, VMSA pages) read
/// within their format's bound, and streamed hashes of large ones (kernel, initrd), which are
/// never held whole. Outputs are written by `AtomicFile`.
public enum MeasurementFiles {
    /// Read size for streamed hashing: large enough that syscalls do not matter.
    static let blockSize = 1 << 20

    /// A firmware image (OVMF, SVSM), at most `InputLimit.firmwareImage`.
    public static func contents(_ path: String) throws(MeasurementFileError) -> [UInt8] {
        try contents(path, .firmwareImage)
    }

    /// The whole file, at most `limit`.
    public static func contents(_ path: String, _ limit: InputLimit) throws(MeasurementFileError) -> [UInt8] {
        do {
            return try BoundedFile.read(path, limit)
        } catch {
            throw MeasurementFileError(error)
        }
    }

    /// The size of a regular file in bytes.
    public static func size(_ path: String) throws(MeasurementFileError) -> UInt64 {
        do {
            return try BoundedFile.size(path)
        } catch {
            throw MeasurementFileError(error)
        }
    }

    /// SHA-256 of the file's contents, streamed; `progress` hears how far it got (bytes done,
    /// bytes in all) after each block.
    public static func sha256(
        _ path: String, limit: InputLimit, progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) throws(MeasurementFileError) -> [UInt8] {
        var hasher = StreamingSHA256()
        do {
            try BoundedFile.forEachBlock(path, limit: Int64(limit.bytes), what: limit.what, blockSize: blockSize) { block, done, size in
                hasher.update(block)
                progress?(done, size)
            }
        } catch {
            throw MeasurementFileError(error)
        }
        return hasher.finalize()
    }

    /// Hashes the kernel and initrd concurrently (they are independent and the initrd can be
    /// hundreds of MiB) and builds the SEV hashes table. `progress` hears each file's advance
    /// (which file: `kernel` or `initrd`).
    public static func hashTable(
        kernel: String, initrd: String?, commandLine: String?,
        progress: (@Sendable (_ file: String, _ done: Int64, _ size: Int64) -> Void)? = nil
    ) async throws(MeasurementFileError) -> SEVHashTable {
        let kernelProgress = progress.map { report -> @Sendable (Int64, Int64) -> Void in { report("kernel", $0, $1) } }
        let initrdProgress = progress.map { report -> @Sendable (Int64, Int64) -> Void in { report("initrd", $0, $1) } }
        async let kernelHash = Result { () throws(MeasurementFileError) -> [UInt8] in
            try sha256(kernel, limit: .kernel, progress: kernelProgress)
        }
        async let initrdHash = Result { () throws(MeasurementFileError) -> [UInt8]? in
            guard let initrd else { return nil }
            return try sha256(initrd, limit: .initrd, progress: initrdProgress)
        }
        let (k, i) = await (kernelHash, initrdHash)
        return SEVHashTable(kernelHash: try k.get(), initrdHash: try i.get(), commandLine: commandLine)
    }
}
