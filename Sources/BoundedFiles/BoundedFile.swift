#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading the files sevhost is given, with a bound on every read.
///
/// Every input file (a report, a certificate, a firmware image, a spec, a captured host's
/// JSON, a key) is read here, so every one gets the same three guarantees:
/// - only a regular file is read: a directory, a FIFO, a device (`/dev/zero`, `/dev/stdin`
///   on a terminal) or a socket is refused by `stat` before it is even opened, so nothing
///   blocks on a pipe without a writer and nothing reads an endless device;
/// - at most `limit` bytes are ever held: the caller says how large its format can be, and
///   a larger file is refused with that limit in the message, whatever `stat` claims (a
///   `/proc` file says 0 and a growing file says less than it will hold);
/// - reading stops at the end of the file.
/// Large inputs that are hashed rather than parsed (kernels, initrds) are streamed block by
/// block and never held whole (`forEachBlock`).
public enum BoundedFile {
    /// The whole file at `path`, at most `limit` bytes; `what` names the format in the error
    /// for a larger file (`an attestation report`).
    public static func read(_ path: String, limit: Int, what: String) throws(FileReadError) -> [UInt8] {
        let fd = try openRegular(path)
        defer { close(fd) }
        return try readAll(fd, path: path, limit: limit, what: what, sizeHint: regularSize(fd))
    }

    /// Like `read`, for text: the bytes decoded as UTF-8 (invalid sequences replaced).
    public static func readText(_ path: String, limit: Int, what: String) throws(FileReadError) -> String {
        String(decoding: try read(path, limit: limit, what: what), as: UTF8.self)
    }

    /// Standard input to its end (a pipe, a file, an answer pasted on a terminal), at most
    /// `limit` bytes; `name` stands for the path in errors.
    public static func readStandardInput(limit: Int, what: String, name: String = "standard input") throws(FileReadError) -> [UInt8] {
        try readAll(STDIN_FILENO, path: name, limit: limit, what: what, sizeHint: 0)
    }

    /// The size of the regular file at `path` (for inputs measured by their size alone, such as
    /// an OVMF variable store).
    public static func size(_ path: String) throws(FileReadError) -> UInt64 {
        var info = stat()
        try statRegular(path, &info)
        return UInt64(max(info.st_size, 0))
    }

    /// Calls `body` with each block of the file in turn (the buffer is reused: copy what must
    /// outlive the call), and with the bytes read so far and the file's size; at most `limit`
    /// bytes in all.
    public static func forEachBlock(
        _ path: String, limit: Int64, what: String, blockSize: Int = 1 << 20,
        _ body: (_ block: UnsafeRawBufferPointer, _ done: Int64, _ size: Int64) -> Void
    ) throws(FileReadError) {
        let fd = try openRegular(path)
        defer { close(fd) }
        let size = Int64(regularSize(fd))
        if size > limit { throw FileReadError(path: path, reason: .tooLarge(limit: limit, what: what)) }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        var block = [UInt8](repeating: 0, count: blockSize)
        var done: Int64 = 0
        while true {
            let count = try readSome(fd, into: &block, path: path)
            if count == 0 { return }
            done += Int64(count)
            if done > limit { throw FileReadError(path: path, reason: .tooLarge(limit: limit, what: what)) }
            block.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<count]), done, max(size, done)) }
        }
    }

    /// The last `count` bytes of the file (all of it when shorter), read without the rest.
    public static func readTail(_ path: String, count: Int) throws(FileReadError) -> [UInt8] {
        let fd = try openRegular(path)
        defer { close(fd) }
        let size = regularSize(fd)
        let start = max(0, size - count)
        return try readRange(fd, path: path, from: start, count: size - start)
    }

    /// The first `count` bytes of the file (all of it when shorter): a firmware image's header,
    /// the start of a kernel log.
    public static func readHead(_ path: String, count: Int) throws(FileReadError) -> [UInt8] {
        let fd = try openRegular(path)
        defer { close(fd) }
        return try readRange(fd, path: path, from: 0, count: count)
    }

    /// Up to `count` bytes of `fd` from `start`, fewer at the end of the file.
    private static func readRange(_ fd: Int32, path: String, from start: Int, count: Int) throws(FileReadError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(start + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadError(path: path, reason: .system(errno: errno, step: "read"))
            }
            if n == 0 { break }
            done += n
        }
        return Array(out.prefix(done))
    }

    /// Whether `path` names a regular file (following symbolic links).
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    // MARK: - internals

    /// Opens a regular file for a caller that needs the descriptor (to lock it, or to write it
    /// back), with `flags` (`O_RDONLY`, `O_RDWR`); the same refusals as `read`. `ENOENT` is
    /// `.missing`. Read it with `read(descriptor:…)`; close it.
    public static func openRegular(_ path: String, flags: Int32) throws(FileReadError) -> Int32 {
        try openRegular(path, accessFlags: flags)
    }

    /// The whole file behind `fd`, from its start (whatever the descriptor's offset), at most
    /// `limit`.
    public static func read(descriptor fd: Int32, path: String, _ limit: InputLimit) throws(FileReadError) -> [UInt8] {
        var out = [UInt8]()
        var block = [UInt8](repeating: 0, count: min(64 << 10, limit.bytes + 1))
        var offset: off_t = 0
        while true {
            let count = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno, step: "read")
            }
            if count == 0 { return out }
            offset += off_t(count)
            if out.count + count > limit.bytes {
                throw FileReadError(path: path, reason: .tooLarge(limit: Int64(limit.bytes), what: limit.what))
            }
            out.append(contentsOf: block[0..<count])
        }
    }

    /// `stat` first, so that a FIFO or a device is refused before `open` could block on it or
    /// wake it; then `open` and `fstat` again, so a file swapped in between is refused too.
    static func openRegular(_ path: String, accessFlags: Int32 = O_RDONLY) throws(FileReadError) -> Int32 {
        var info = stat()
        try statRegular(path, &info)
        let fd = open(path, accessFlags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw failure(path, errno, step: "open") }
        var opened = stat()
        guard fstat(fd, &opened) == 0 else {
            let error = failure(path, errno, step: "read")
            close(fd)
            throw error
        }
        guard opened.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw FileReadError(path: path, reason: .notRegular(kind: FileReadError.kind(opened.st_mode)))
        }
        return fd
    }

    private static func statRegular(_ path: String, _ info: inout stat) throws(FileReadError) {
        guard stat(path, &info) == 0 else { throw failure(path, errno, step: "open") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FileReadError(path: path, reason: .notRegular(kind: FileReadError.kind(info.st_mode)))
        }
    }

    private static func regularSize(_ fd: Int32) -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(max(info.st_size, 0)) : 0
    }

    /// Reads to the end or to `limit + 1` bytes, whichever comes first. The bytes `stat`
    /// promised are read straight into the result's own storage (one allocation, no staging
    /// copy: a firmware image is read on every `sevhost digest`); whatever follows (a growing
    /// file, a /proc file that says 0) is read in blocks, still within the limit.
    private static func readAll(_ fd: Int32, path: String, limit: Int, what: String, sizeHint: Int) throws(FileReadError) -> [UInt8] {
        if sizeHint > limit { throw FileReadError(path: path, reason: .tooLarge(limit: Int64(limit), what: what)) }
        var failure: Int32 = 0
        var out = [UInt8](unsafeUninitializedCapacity: sizeHint) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            while initialized < sizeHint {
                let count = systemRead(fd, base + initialized, sizeHint - initialized)
                if count > 0 {
                    initialized += count
                } else if count == 0 {
                    return
                } else if errno != EINTR {
                    failure = errno
                    return
                }
            }
        }
        if failure != 0 { throw Self.failure(path, failure, step: "read") }
        if out.count < sizeHint { return out }
        // Usually the end: one read of one byte returning nothing.
        var probe = [UInt8](repeating: 0, count: 1)
        guard try readSome(fd, into: &probe, path: path) == 1 else { return out }
        if out.count + 1 > limit { throw FileReadError(path: path, reason: .tooLarge(limit: Int64(limit), what: what)) }
        out.append(probe[0])
        var block = [UInt8](repeating: 0, count: min(64 << 10, limit + 1))
        while true {
            let count = try readSome(fd, into: &block, path: path)
            if count == 0 { return out }
            if out.count + count > limit { throw FileReadError(path: path, reason: .tooLarge(limit: Int64(limit), what: what)) }
            out.append(contentsOf: block[0..<count])
        }
    }

    private static func readSome(_ fd: Int32, into block: inout [UInt8], path: String) throws(FileReadError) -> Int {
        while true {
            let count = block.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            if errno == EAGAIN {
                // Standard input that is a non-blocking pipe: wait for it.
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&poller, 1, -1)
                continue
            }
            throw failure(path, errno, step: "read")
        }
    }

    private static func failure(_ path: String, _ code: Int32, step: String) -> FileReadError {
        code == ENOENT
            ? FileReadError(path: path, reason: .missing)
            : FileReadError(path: path, reason: .system(errno: code, step: step))
    }
}

/// read(2), named apart from `BoundedFile.read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
