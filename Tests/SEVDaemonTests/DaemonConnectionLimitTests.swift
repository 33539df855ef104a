import Foundation
import SEVTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The running daemon and hostile clients (finding 10 of issue 17): half-open requests are
/// closed at the header timeout instead of held forever, the connection limit holds while
/// they are open, a client waiting behind them is served once they are gone, and an oversized
/// Content-Length is refused at once.
final class DaemonConnectionLimitTests: XCTestCase {
    private var harness: DaemonHarness!

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        try harness.startDaemon(extra: ["--header-timeout", "2", "--body-timeout", "2", "--max-connections", "4"])
    }

    override func tearDown() {
        harness?.stop()
    }

    func testHalfOpenRequestsAreClosedAndTheLimitHolds() throws {
        // Four clients hold every connection the daemon allows, each with half a request.
        let held = try (0..<4).map { _ in try Client(harness.socket) }
        for client in held { try client.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n") }
        // The daemon accepts connections in batches (it may take a few past the limit when
        // they arrive at once), so the four are taken before the fifth comes.
        for client in held { XCTAssertEqual(try client.read(seconds: 0.2), .timedOut) }
        // A fifth, complete request waits: no connection is free for it.
        let waiting = try Client(harness.socket)
        try waiting.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(try waiting.read(seconds: 0.5), .timedOut)
        // The header timeout ends each half-open request: the daemon closes it, answering nothing.
        for client in held { XCTAssertEqual(try client.read(seconds: 10), .closed) }
        // And the client that waited is answered.
        guard case .data(let answer) = try waiting.read(seconds: 10) else { return XCTFail("the waiting client was not answered") }
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), answer)
    }

    func testAnOversizedContentLengthIsRefusedAtOnce() throws {
        let client = try Client(harness.socket)
        try client.send("POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n{")
        guard case .data(let answer) = try client.read(seconds: 1) else { return XCTFail("no answer to an oversized request") }
        XCTAssertEqual(answer, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(try client.read(seconds: 1), .closed)
    }
}

/// A plain blocking client socket, deliberately not the NIO code under test.
private final class Client {
    enum Read: Equatable {
        case data(String)
        case closed
        case timedOut
    }

    let fd: Int32

    init(_ path: String) throws {
        guard let fd = UnixSocket.connected(path) else { throw POSIXError(.ECONNREFUSED) }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw POSIXError(.EPIPE)
        }
    }

    /// What arrives within `seconds`: bytes, the end of the connection, or nothing.
    func read(seconds: Double) throws -> Read {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return .timedOut }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 { return errno == ECONNRESET ? .closed : .timedOut }
        return count == 0 ? .closed : .data(String(decoding: buffer[0..<count], as: UTF8.self))
    }
}
