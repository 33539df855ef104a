import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as the fake daemon received it.
public struct RecordedRequest: Sendable, Equatable {
    public var method: String
    /// The request target: path and query.
    public var target: String
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public var path: String { String(target.split(separator: "?", maxSplits: 1)[0]) }
    public var query: String? { target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
}

/// What the fake daemon does with one request.
public enum FakeAnswer: Sendable {
    /// A well-formed HTTP/1.1 response with Content-Length, then close.
    case http(status: Int, reason: String, contentType: String, body: [UInt8])
    /// These bytes, then close: for answers that are not well-formed HTTP.
    case raw([UInt8])
    /// Read the request, answer nothing, hold the connection until the client leaves.
    case silence

    public static func json(_ status: Int, _ reason: String, _ text: String) -> FakeAnswer {
        .http(status: status, reason: reason, contentType: "application/json", body: Array(text.utf8))
    }

    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> FakeAnswer {
        .http(status: 200, reason: "OK", contentType: contentType, body: Array(text.utf8))
    }
}

/// A stand-in for sevhostd: an HTTP/1.1 server on a temporary Unix socket, built from plain
/// blocking sockets so that it shares no code with the NIO client under test. It serves one
/// connection at a time, records every request, and answers with what `answer` says.
public final class FakeDaemon: @unchecked Sendable {
    public let directory: String
    public let path: String
    private let listener: Int32
    /// Whether `directory` was made for this server (and is removed by `stop`).
    private let ownsDirectory: Bool
    private let lock = NSLock()
    private var recorded: [RecordedRequest] = []
    private let done = DispatchSemaphore(value: 0)

    /// Listens on `path`, or on `sevhostd.sock` in a new temporary directory.
    public init(path: String? = nil, answer: @escaping @Sendable (RecordedRequest) -> FakeAnswer) throws {
        if let path {
            directory = (path as NSString).deletingLastPathComponent
            self.path = path
            ownsDirectory = false
        } else {
            var template = Array("/tmp/sevhost-fake-daemon-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
            directory = String(cString: made)
            self.path = directory + "/sevhostd.sock"
            ownsDirectory = true
        }
        listener = try UnixSocket.listen(self.path)
        let fd = listener
        let done = self.done
        let thread = Thread {
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 { break }
                self.serve(connection, answer)
                close(connection)
            }
            done.signal()
        }
        thread.start()
    }

    /// Every request received so far, in order.
    public var requests: [RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// Stops listening, waits (bounded) for the serving thread, and removes the socket (and
    /// the directory made for it).
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = done.wait(timeout: .now() + 10)
        unlink(path)
        if ownsDirectory { rmdir(directory) }
    }

    private func serve(_ fd: Int32, _ answer: (RecordedRequest) -> FakeAnswer) {
        guard let request = Self.readRequest(fd) else { return }
        lock.lock()
        recorded.append(request)
        lock.unlock()
        switch answer(request) {
        case .http(let status, let reason, let contentType, let body):
            let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            Self.send(fd, Array(head.utf8) + body)
        case .raw(let bytes):
            Self.send(fd, bytes)
        case .silence:
            var scratch = [UInt8](repeating: 0, count: 512)
            while scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
        }
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Reads a request head and a Content-Length body; nil when the client leaves first.
    private static func readRequest(_ fd: Int32) -> RecordedRequest? {
        var buffer: [UInt8] = []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var chunk = [UInt8](repeating: 0, count: 4096)
        func fill() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return false }
            buffer += chunk[..<count]
            return true
        }
        while headEnd == nil {
            guard fill() else { return nil }
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<$0 + 4]) == separator }
            }
        }
        let lines = String(decoding: buffer[..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = headers["content-length"].flatMap(Int.init) ?? 0
        let bodyStart = headEnd! + 4
        while buffer.count < bodyStart + length {
            guard fill() else { return nil }
        }
        return RecordedRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
            body: Array(buffer[bodyStart..<bodyStart + length]))
    }
}
