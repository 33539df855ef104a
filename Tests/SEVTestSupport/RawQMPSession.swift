import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A QMP connection at the byte level, for comparing what two servers write for the same
/// bytes: plain blocking socket calls, deliberately not the NIO code under test.
public final class RawQMPSession {
    private let fd: Int32
    private var pending: [UInt8] = []

    /// Connects to `path`, retrying while nothing listens there yet (up to `seconds`).
    public init(path: String, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            } == 0
            if connected {
                self.fd = fd
                return
            }
            close(fd)
            guard Date() < deadline else { throw POSIXError(.ECONNREFUSED) }
            usleep(20_000)
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            written += n
        }
    }

    /// The next `count` lines the server writes (each with its line end), waiting at most
    /// `seconds` for all of them; fewer when the server closes or the time runs out.
    public func lines(_ count: Int, seconds: Double = 20) -> [String] {
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while lines.count < count {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[...newline], as: UTF8.self))
                pending.removeSubrange(...newline)
                continue
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining * 1000)) > 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            pending += buffer[..<n]
        }
        return lines
    }

    /// Whether the server closed the connection within `seconds` (reading nothing more).
    public func closed(seconds: Double = 10) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }
}
