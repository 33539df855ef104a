import NIOCore
import NIOHTTP1

/// Sends one request when the connection comes up and collects the response into a promise.
///
/// The daemon is asked for `Connection: close`, so a connection carries exactly one exchange
/// and the end of the response, an error or the connection closing all end the handler's
/// work. The body is capped while it arrives, so a peer that streams without end costs at most
/// `maximumSize` bytes before it is cut off.
final class DaemonResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: DaemonHTTPRequest
    private let promise: EventLoopPromise<DaemonHTTPResponse>
    private let maximumSize: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var finished = false

    init(request: DaemonHTTPRequest, promise: EventLoopPromise<DaemonHTTPResponse>, maximumSize: Int) {
        self.request = request
        self.promise = promise
        self.maximumSize = maximumSize
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost")
        headers.add(name: "User-Agent", value: "sevhost")
        headers.add(name: "Accept", value: "application/json, text/plain")
        headers.add(name: "Connection", value: "close")
        if let body = request.body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        } else if request.method == .POST {
            headers.add(name: "Content-Length", value: "0")
        }
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.target, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body = request.body, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            // An interim 1xx answer is followed by the real one.
            if head.status.code < 200 { return }
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maximumSize {
                fail(context, tooLarge)
                return
            }
            self.head = head
            body.removeAll(keepingCapacity: true)
        case .body(let buffer):
            guard head != nil else { return }
            guard body.count + buffer.readableBytes <= maximumSize else {
                fail(context, tooLarge)
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            finished = true
            promise.succeed(DaemonHTTPResponse(
                status: Int(head.status.code), reason: head.status.reasonPhrase,
                contentType: head.headers.first(name: "content-type"), body: body))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context, head == nil ? "the daemon closed the connection without answering" : "the connection closed before the response was complete")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let problem: String
        if let error = error as? HTTPParserError {
            problem = error == .invalidEOFState
                ? "the connection closed before the response was complete"
                : "not an HTTP/1.1 response (\(error))"
        } else if let error = error as? IOError {
            problem = "the connection failed: \(DaemonSocketReason.text(error))"
        } else {
            problem = "\(error)"
        }
        fail(context, problem)
    }

    private var tooLarge: String { "the response is larger than the client's limit of \(maximumSize) bytes" }

    private func fail(_ context: ChannelHandlerContext, _ problem: String) {
        guard !finished else { return }
        finished = true
        promise.fail(DaemonClientError.malformedResponse(request: request.label, problem: problem))
        context.close(promise: nil)
    }
}
