import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Orchestration
import SEVDaemon
import SEVKit

/// What reaches sevhostd from a client, and what the two-party flow exchanges.
enum DaemonTargets {
    /// Raw bytes on an API connection: NIO's HTTP/1 decoder and the daemon's `RequestLimits`
    /// as sevhostd's pipeline has them, then each request that gets through decoded as the
    /// router would (a spec to create, an inject packet), then the clock run past every
    /// timeout.
    static func request(_ input: UnsafeRawBufferPointer) {
        let channel = EmbeddedChannel()
        let collector = RequestCollector()
        do {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(RequestLimits(
                headerTimeout: .seconds(10), bodyTimeout: .seconds(30), maximumBody: 1 << 20, logger: Logger(label: "fuzz")))
            try channel.pipeline.syncOperations.addHandler(collector)
            try channel.connect(to: SocketAddress(unixDomainSocketPath: "/fuzz")).wait()
        } catch {
            preconditionFailure("the embedded pipeline cannot be built: \(error)")
        }
        _ = try? channel.writeInbound(channel.allocator.buffer(bytes: input))
        for request in collector.requests { route(request.head, request.body) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        _ = try? channel.finish()
    }

    /// The request's body as the route for its path takes it.
    static func route(_ head: HTTPRequest, _ body: [UInt8]) {
        let data = Data(body)
        if head.path?.hasSuffix("/inject") == true {
            if let inject = try? JSONDecoder().decode(InjectRequest.self, from: data) { _ = try? inject.packet() }
        } else if let create = try? JSONDecoder().decode(CreateVMRequest.self, from: data) {
            _ = try? SpecDocument.parse(text: create.spec, file: create.file ?? "<spec>")
        }
    }

    static func bundle(_ input: UnsafeRawBufferPointer) {
        let bytes = input.bytes
        if let bundle = try? AttestationBundle(json: bytes, name: "fuzz") {
            _ = bundle.measurementBytes
            _ = bundle.json
        }
        _ = try? AttestationAnswer(text: bytes, name: "fuzz")
        _ = try? LaunchMeasurement(blob: bytes)
    }
}

/// The end of the embedded pipeline: whole requests, as the daemon's router would get them,
/// and a 200 for each so the connection goes on to the next.
private final class RequestCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    var requests: [(head: HTTPRequest, body: [UInt8])] = []
    private var head: HTTPRequest?
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            if let head { requests.append((head, body)) }
            head = nil
            context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
