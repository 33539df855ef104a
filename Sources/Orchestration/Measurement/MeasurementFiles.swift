#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SEVKit

/// A file a measurement needs could not be read; names the path and the OS reason.
public struct MeasurementFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// File access for launch-digest computations: whole small files (firmware) and streamed
/// hashes of large ones (kernel, initrd). Outputs are written by `AtomicFile`.
///
/// Kernel and initrd hashing is the only real cost of a digest, so it reads in large blocks
/// straight into one reused buffer and hands that buffer to SHA-256 without copying.
public enum MeasurementFiles {
    /// Read size for streamed hashing: large enough that syscalls do not matter.
    static let blockSize = 1 << 20

    /// The whole file.
    ///
    /// Reads straight into the array's own storage, sized from `fstat`: one allocation, no
    /// zero-filled 1 MiB staging block and no second copy of every byte (a firmware image is
    /// read on every `sevhost digest`, where each millisecond shows). A file longer than `fstat`
    /// said (one still growing, a pseudo-file) is read to its end all the same.
    public static func contents(_ path: String) throws(MeasurementFileError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path) }
        let expected = max(Int(info.st_size), 0)
        var failed = false
        var result = [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            while initialized < expected {
                let count = read(fd, base + initialized, expected - initialized)
                if count > 0 {
                    initialized += count
                } else if count == 0 {
                    return
                } else if errno != EINTR {
                    failed = true
                    return
                }
            }
        }
        if failed { throw failure(path) }
        if result.count < expected { return result }
        // Whatever lies past the size fstat reported: usually nothing, one read returning 0.
        var probe: UInt8 = 0
        while true {
            let count = read(fd, &probe, 1)
            if count == 0 { return result }
            if count == 1 { result.append(probe); break }
            if errno != EINTR { throw failure(path) }
        }
        var block = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try readBlock(fd, into: &block, path: path)
            if count == 0 { return result }
            result.append(contentsOf: block[0..<count])
        }
    }

    /// The file's size in bytes.
    public static func size(_ path: String) throws(MeasurementFileError) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(path) }
        return UInt64(info.st_size)
    }

    /// SHA-256 of the file's contents, streamed.
    public static func sha256(_ path: String) throws(MeasurementFileError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        var hasher = StreamingSHA256()
        var block = [UInt8](repeating: 0, count: blockSize)
        while true {
            let count = try readBlock(fd, into: &block, path: path)
            if count == 0 { break }
            block.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize()
    }

    /// Hashes the kernel and initrd concurrently (they are independent and the initrd can be
    /// hundreds of MiB) and builds the SEV hashes table.
    public static func hashTable(kernel: String, initrd: String?, commandLine: String?) async throws(MeasurementFileError) -> SEVHashTable {
        async let kernelHash = Result { () throws(MeasurementFileError) in try sha256(kernel) }
        async let initrdHash = Result { () throws(MeasurementFileError) -> [UInt8]? in
            guard let initrd else { return nil }
            return try sha256(initrd)
        }
        let (k, i) = await (kernelHash, initrdHash)
        return SEVHashTable(kernelHash: try k.get(), initrdHash: try i.get(), commandLine: commandLine)
    }

    private static func openForReading(_ path: String) throws(MeasurementFileError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        return fd
    }

    private static func readBlock(_ fd: Int32, into block: inout [UInt8], path: String) throws(MeasurementFileError) -> Int {
        while true {
            let count = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno != EINTR { throw failure(path) }
        }
    }

    private static func failure(_ path: String) -> MeasurementFileError {
        MeasurementFileError(path: path, reason: String(cString: strerror(errno)))
    }
}
