import Foundation

/// The root of the host the probe reads: `/` for the live machine, or a captured host.
///
/// Every file the probe reads (`proc/cpuinfo`, `sys/module/kvm_amd/parameters/*`, …) is named
/// relative to this root, so the same checks run unchanged against the live host and against a
/// capture attached to a bug report. What cannot be a file (CPUID, MSRs, device nodes, firmware
/// answers, tool versions) comes from JSON files in a capture and from the hardware when live.
public struct HostRoot: Sendable, Equatable {
    /// Absolute directory path, without a trailing slash except for `/`.
    public let directory: String
    /// True for a captured host, false for the live machine.
    public let isCaptured: Bool

    /// The live machine.
    public static let live = HostRoot(directory: "/", isCaptured: false)

    private init(directory: String, isCaptured: Bool) {
        self.directory = directory
        self.isCaptured = isCaptured
    }

    /// A captured host in `directory`. `/` means the live machine.
    public init(captured directory: String) throws(HostProbeError) {
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        if absolute == "/" {
            self = .live
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HostProbeError(file: directory, reason: "is not a directory holding a captured host")
        }
        self.init(directory: absolute, isCaptured: true)
    }

    /// The absolute path of `relative` (written without a leading slash, e.g. `proc/cmdline`).
    public func path(_ relative: String) -> String {
        directory == "/" ? "/" + relative : directory + "/" + relative
    }

    /// How `relative` is named in messages: the host path (`/proc/cmdline`), so a message reads
    /// the same for a capture as for the live host it came from.
    public func displayPath(_ relative: String) -> String { "/" + relative }

    public func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path(relative))
    }

    /// The contents of a text file, or why it could not be read (the OS error, as a sentence).
    public func readText(_ relative: String) -> Result<String, HostReadFailure> {
        readBytes(relative).map { String(decoding: $0, as: UTF8.self) }
    }

    public func readBytes(_ relative: String) -> Result<[UInt8], HostReadFailure> {
        let fd = open(path(relative), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(HostReadFailure(errno: errno)) }
        defer { close(fd) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(HostReadFailure(errno: errno))
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return .success(out)
    }

    /// The last `count` bytes of a file (all of it when shorter), read without the rest: OVMF
    /// images are megabytes and only their end says what they support.
    public func readTail(_ relative: String, count: Int) -> Result<[UInt8], HostReadFailure> {
        let fd = open(path(relative), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(HostReadFailure(errno: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(HostReadFailure(errno: errno)) }
        let size = Int(info.st_size)
        let start = max(0, size - count)
        return Self.readFully(fd, count: size - start, at: start)
    }

    /// The first `count` bytes of a file (all of it when shorter): a firmware image's header.
    public func readHead(_ relative: String, count: Int) -> Result<[UInt8], HostReadFailure> {
        let fd = open(path(relative), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(HostReadFailure(errno: errno)) }
        defer { close(fd) }
        return Self.readFully(fd, count: count, at: 0)
    }

    /// Up to `count` bytes of `fd` from `offset`, fewer at the end of the file.
    private static func readFully(_ fd: Int32, count: Int, at offset: Int) -> Result<[UInt8], HostReadFailure> {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(HostReadFailure(errno: errno))
            }
            if n == 0 { break }
            done += n
        }
        return .success(Array(out.prefix(done)))
    }

    /// Names in a directory, sorted; nil when it does not exist or cannot be read.
    public func list(_ relative: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: path(relative)))?.sorted()
    }
}

/// A file of the host could not be read; `description` is the OS's own sentence.
public struct HostReadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var errno: Int32
    public init(errno: Int32) { self.errno = errno }
    public var isMissing: Bool { errno == ENOENT }
    public var description: String { "\(String(cString: strerror(errno))) (os error \(errno))" }
}

/// A captured host, or a value in it, is malformed. Names the file (and field) at fault.
public struct HostProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
    public var description: String { "\(file): \(reason)" }
}
