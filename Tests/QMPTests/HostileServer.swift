import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SEVTestSupport

/// A scripted QMP "server" on a Unix socket, built from plain blocking sockets so that it shares
/// nothing with the NIO client it misbehaves towards. It accepts one connection and runs the
/// script on a background thread; the script ends when the client goes away.
final class HostileServer: @unchecked Sendable {
    let directory: String
    let path: String
    private let listener: Int32
    private let thread: Thread
    private let done = DispatchSemaphore(value: 0)

    init(script: @escaping @Sendable (HostilePeer) -> Void) throws {
        var template = Array("/tmp/sevhost-qmp-hostile-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        let directory = String(cString: made)
        let path = directory + "/qmp.sock"
        self.directory = directory
        self.path = path

        let fd = try UnixSocket.listen(path, backlog: 4)
        listener = fd
        let done = self.done
        thread = Thread {
            let connection = accept(fd, nil, nil)
            if connection >= 0 {
                let peer = HostilePeer(fd: connection)
                script(peer)
                peer.close()
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops listening and waits (bounded) for the script to finish.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        _ = done.wait(timeout: .now() + 10)
        unlink(path)
        rmdir(directory)
    }
}

/// The server's end of one connection.
final class HostilePeer: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(fd: Int32) { self.fd = fd }

    /// Sends bytes; false once the client has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// QEMU 10's real greeting line.
    func sendGreeting() {
        send(#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "hostile"}, "capabilities": ["oob"]}}"# + "\n")
    }

    /// Reads one line; nil when the client closed the connection.
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            buffer += chunk[..<count]
        }
    }

    /// Reads one request and returns its `execute` and `id` (as JSON text, to echo back).
    func readRequest() -> (command: String, id: String)? {
        guard let line = readLine(),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let command = object["execute"] as? String
        else { return nil }
        let id = object["id"].map { "\($0)" } ?? "null"
        return (command, id)
    }

    /// Greets, answers `qmp_capabilities`, and returns the next request.
    func handshake() -> (command: String, id: String)? {
        sendGreeting()
        guard let negotiation = readRequest(), negotiation.command == "qmp_capabilities" else { return nil }
        send(#"{"return": {}, "id": \#(negotiation.id)}"# + "\n")
        return readRequest()
    }

    /// Blocks until the client disconnects.
    func drain() {
        while readLine() != nil {}
    }

    func close() {
        if closed { return }
        closed = true
        Glibc.close(fd)
    }
}
