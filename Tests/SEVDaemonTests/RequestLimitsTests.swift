import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import XCTest

@testable import SEVDaemon

/// `RequestLimits` in the pipeline sevhostd builds (NIO's HTTP/1 codec, then the limits), on an
/// embedded channel whose clock the test moves: no request is held longer than its timeouts,
/// and a body past the bound is refused as soon as it is announced or exceeded.
final class RequestLimitsTests: XCTestCase {
    private var channel: EmbeddedChannel!
    private var requests: Received!

    override func setUpWithError() throws {
        channel = EmbeddedChannel()
        requests = Received()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(RequestLimits(
            headerTimeout: .seconds(10), bodyTimeout: .seconds(30), maximumBody: 1000, logger: Logger(label: "test")))
        try channel.pipeline.syncOperations.addHandler(requests)
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/test")).wait()
    }

    override func tearDown() {
        _ = try? channel.finish()
    }

    /// Bytes from the client. The limits may close the connection half way through them, after
    /// which the decoder complains of a stream cut short: that is the point, not a failure.
    private func send(_ text: String) throws {
        _ = try? channel.writeInbound(channel.allocator.buffer(string: text))
    }

    private var written: String {
        var text = ""
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Half a head (the finding's 1,500 half-open requests): closed when the header timeout
    /// passes, not a moment before.
    func testAHalfOpenRequestIsClosedAtTheHeaderTimeout() throws {
        try send("GET /v1/vms HTTP/1.1\r\nHost: x\r\n")
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(requests.heads, [])
    }

    /// A head whose body never comes: closed at the body timeout after the head.
    func testABodyThatNeverComesIsClosedAtTheBodyTimeout() throws {
        try send("POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"sp")
        XCTAssertEqual(requests.heads, ["/v1/vms"])
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive)
    }

    /// A Content-Length over the bound is answered at once, before any body byte arrives.
    func testAnOversizedContentLengthIsRefusedAtOnce() throws {
        try send("POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
        XCTAssertEqual(written, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(requests.heads, [], "the router never sees it")
    }

    /// A chunked body refused as soon as it grows past the bound, whatever its chunk sizes
    /// announce; one that announces a huge chunk and sends nothing is closed at the timeout.
    func testAChunkedBodyPastTheBoundIsRefusedAndAHugeEmptyChunkTimesOut() throws {
        try send("POST /v1/vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + String(repeating: "a", count: 1000) + "\r\n1\r\nb")
        XCTAssertEqual(written, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        XCTAssertFalse(channel.isActive)

        _ = try? channel.finish()
        try setUpWithError()
        try send("POST /v1/vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n{")
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        XCTAssertFalse(channel.isActive)
    }

    /// A request within the bounds goes through; time spent answering it is not limited; once
    /// answered, the connection may carry the next request, and is closed if it stays idle.
    func testARequestWithinTheBoundsGoesThroughAndTheNextOneTimesOutWhenIdle() throws {
        try send("POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        XCTAssertEqual(requests.heads, ["/v1/vms"])
        XCTAssertEqual(requests.bodies, ["{}"])
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        XCTAssertTrue(channel.isActive, "an answer may take its time (a long poll)")
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        try send("GET /v1/vms HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(requests.heads, ["/v1/vms", "/v1/vms"])
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertFalse(channel.isActive)
    }
}

/// The router's place in the test pipeline: what got through.
private final class Received: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    var heads: [String] = []
    var bodies: [String] = []
    private var body = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            heads.append(request.path ?? "")
            body = ""
        case .body(let buffer): body += String(buffer: buffer)
        case .end: bodies.append(body)
        }
    }
}
