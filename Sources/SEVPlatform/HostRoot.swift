import BoundedFiles
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

    /// A file of the host, within `InputLimit.hostFile` (or the limit given); only a regular
    /// file is read (`/proc` and `/sys` files are, a directory standing in for one is not).
    public func readBytes(_ relative: String, limit: InputLimit = .hostFile) -> Result<[UInt8], HostReadFailure> {
        do {
            return .success(try BoundedFile.read(path(relative), limit))
        } catch {
            return .failure(HostReadFailure(error))
        }
    }

    /// The last `count` bytes of a file (all of it when shorter), read without the rest: OVMF
    /// images are megabytes and only their end says what they support.
    public func readTail(_ relative: String, count: Int) -> Result<[UInt8], HostReadFailure> {
        do {
            return .success(try BoundedFile.readTail(path(relative), count: count))
        } catch {
            return .failure(HostReadFailure(error))
        }
    }

    /// The first `count` bytes of a file (all of it when shorter): a firmware image's header.
    public func readHead(_ relative: String, count: Int) -> Result<[UInt8], HostReadFailure> {
        do {
            return .success(try BoundedFile.readHead(path(relative), count: count))
        } catch {
            return .failure(HostReadFailure(error))
        }
    }

    /// Names in a directory, sorted; nil when it does not exist or cannot be read.
    public func list(_ relative: String) -> [String]? {
        (try? FileManager.default.contentsOfDirectory(atPath: path(relative)))?.sorted()
    }
}

/// A file of the host could not be read; `description` is the OS's own sentence (as sevctl
/// words it), or why the file is not one sevhost reads.
public struct HostReadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The OS's error number; 0 when the refusal is sevhost's (not a regular file, too large).
    public var errno: Int32
    /// sevhost's own reason, when `errno` is 0.
    public var reason: String?

    public init(errno: Int32) {
        self.errno = errno
        self.reason = nil
    }

    init(_ error: FileReadError) {
        switch error.reason {
        case .missing: self.init(errno: ENOENT)
        case .system(let code, _): self.init(errno: code)
        case .notRegular, .tooLarge:
            self.init(errno: 0)
            reason = error.problem
        }
    }

    public var isMissing: Bool { errno == ENOENT }
    public var description: String { reason ?? "\(String(cString: strerror(errno))) (os error \(errno))" }
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
