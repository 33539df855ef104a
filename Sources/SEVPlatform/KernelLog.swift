import Foundation

/// The kernel's log, as far as the SEV checks read it: the ccp driver's lines on which firmware
/// file it sent to the AMD-SP, whether the update took, and the API version that then runs.
///
/// Live, it is read from /dev/kmsg without blocking (every record the ring buffer still holds,
/// which needs root or `kernel.dmesg_restrict=0`); a capture holds it as `kernel-log.txt`, one
/// message a line (`dmesg` output, with or without its `[time]` prefix, reads the same).
public struct KernelLog: Sendable, Equatable {
    /// Messages, oldest first, without timestamps.
    public var lines: [String]

    public init(lines: [String]) { self.lines = lines }

    /// At most this many records are read: more than any boot's SEV lines need.
    static let recordLimit = 65536
    /// At most this many bytes of a captured log are read.
    static let byteLimit = 16 << 20

    /// Parses `dmesg`-style text: drops a leading `[   12.345678] ` and keeps the message.
    public init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                return String(line[line.index(after: close)...].drop { $0 == " " })
            }
            return String(line)
        }
    }

    /// Reads /dev/kmsg's records: `PRIORITY,SEQUENCE,TIMESTAMP,FLAGS;MESSAGE`.
    static func readLive(path: String = "/dev/kmsg") -> Result<KernelLog, HostReadFailure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(HostReadFailure(errno: errno)) }
        defer { close(fd) }
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while lines.count < recordLimit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { continue }  // a record was overwritten while reading: go on
                if errno == EAGAIN { break }
                return .failure(HostReadFailure(errno: errno))
            }
            if n == 0 { break }
            let record = String(decoding: buffer[0..<n], as: UTF8.self)
            guard let semicolon = record.firstIndex(of: ";") else { continue }
            let message = record[record.index(after: semicolon)...].prefix { $0 != "\n" }
            lines.append(String(message))
        }
        return .success(KernelLog(lines: lines))
    }

    /// The lines about SEV alone (the ccp driver's, kvm_amd's, any naming SEV, the loads of
    /// amd/ firmware files): what a capture keeps, since a bug report need not carry the rest
    /// of the log. Every line `firmwareLoad` reads is among them.
    public var sevLines: [String] {
        lines.filter { line in
            line.hasPrefix("ccp ") || line.hasPrefix("kvm_amd") || line.contains("SEV") || line.contains("loading firmware amd/")
        }
    }

    /// What the ccp driver said about the SEV firmware at boot.
    public struct FirmwareLoad: Sendable, Equatable {
        /// `amd/amd_sev_fam19h_model0xh.sbin`, when the kernel logged the load (Debian's kernels
        /// log every firmware file they load; others only on failure).
        public var loadedFile: String?
        /// "SEV firmware update successful".
        public var updateSucceeded: Bool
        /// The running version the driver printed after init (`SEV API:1.55 build:21`).
        public var apiVersion: String?
        public var build: Int?
    }

    /// The last boot's SEV firmware lines (a log holds one boot).
    public var firmwareLoad: FirmwareLoad {
        var load = FirmwareLoad(loadedFile: nil, updateSucceeded: false, apiVersion: nil, build: nil)
        for line in lines {
            if let range = line.range(of: "loading firmware amd/") ?? line.range(of: "loading firmware ") {
                let name = line[range.upperBound...].prefix { !$0.isWhitespace }
                let file = line[range].hasSuffix("amd/") ? "amd/" + name : String(name)
                if file.hasPrefix("amd/amd_sev") || file == "amd/sev.fw" { load.loadedFile = file }
            }
            if line.contains("SEV firmware update successful") { load.updateSucceeded = true }
            if let range = line.range(of: "SEV API:") {
                let rest = line[range.upperBound...]
                load.apiVersion = String(rest.prefix { !$0.isWhitespace })
                if let b = rest.range(of: "build:") { load.build = Int(rest[b.upperBound...].prefix { $0.isNumber }) }
            }
        }
        return load
    }
}
