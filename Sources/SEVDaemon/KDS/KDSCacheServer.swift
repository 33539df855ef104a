import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Orchestration
import SEVKit

/// sevhostd's KDS endpoint: KDS's own URL paths over plain HTTP on an address the operator
/// chooses (loopback by default), so snpguest, go-sev-guest, trustee and `sevhost fetch
/// --kds-url` use it unchanged. Answers come from `KDSCache`.
///
/// It faces anyone who can reach the address, so every resource is bounded: at most
/// `maximumConnections` at once (more are closed on accept), a request head must arrive within
/// `requestTimeout` (a slow or idle client is closed, which also ends idle keep-alive
/// connections), a connection may send at most `requestBudget` bytes per request it has been
/// answered (headers included), request targets are at most `KDSObject.maximumTargetLength`
/// bytes, and bodies are refused. Only GET and HEAD exist.
///
/// Why SwiftNIO and not Hummingbird (which serves the VM API): this endpoint answers the same
/// few kilobytes thousands of times a second, so an answer already encoded is written from the
/// event loop with no hop to an actor or a router (`ReadyAnswers`); BENCHMARKS.md compares it
/// with nginx serving the file.
public final class KDSCacheServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maximumConnections: Int
        /// Seconds a client has to send a complete request head (and an idle keep-alive
        /// connection is kept).
        public var requestTimeout: Double
        /// Bytes a connection may send per request it has been answered.
        public var requestBudget: Int

        public init(host: String = "127.0.0.1", port: Int = 8440, maximumConnections: Int = 256, requestTimeout: Double = 10, requestBudget: Int = 16 << 10) {
            self.host = host
            self.port = port
            self.maximumConnections = maximumConnections
            self.requestTimeout = requestTimeout
            self.requestBudget = requestBudget
        }
    }

    private let channel: Channel
    /// Where it listens (the port the OS chose for port 0).
    public let address: SocketAddress

    private init(channel: Channel) {
        self.channel = channel
        self.address = channel.localAddress!
    }

    public static func start(
        cache: KDSCache, configuration: Configuration, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> KDSCacheServer {
        let connections = ConnectionCount()
        let ready = ReadyAnswers()
        let limit = configuration.maximumConnections
        let timeout = TimeAmount.milliseconds(Int64(configuration.requestTimeout * 1000))
        let budget = configuration.requestBudget
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard connections.open(limit: limit) else {
                    logger.debug("kds: connection limit reached, closing a new connection")
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in connections.closed() }
                let spent = ByteCounter()
                return channel.pipeline.addHandler(RequestBudgetHandler(counter: spent, budget: budget)).flatMap {
                    channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                }.flatMap {
                    channel.pipeline.addHandler(
                        KDSRequestHandler(cache: cache, ready: ready, counter: spent, timeout: timeout, logger: logger))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        return KDSCacheServer(channel: channel)
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Open connections, shared by the accepting threads.
final class ConnectionCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func open(limit: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard count < limit else { return false }
        count += 1
        return true
    }

    func closed() {
        lock.lock()
        count -= 1
        lock.unlock()
    }
}

/// Responses already encoded, by request target: VCEKs and chains do not change once verified,
/// so the second request for one is a dictionary lookup on the event loop.
final class ReadyAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: (HTTPHeaders, ByteBuffer)] = [:]
    static let limit = 20_000

    func get(_ target: String) -> (HTTPHeaders, ByteBuffer)? {
        lock.lock()
        defer { lock.unlock() }
        return answers[target]
    }

    func put(_ target: String, _ answer: (HTTPHeaders, ByteBuffer)) {
        lock.lock()
        defer { lock.unlock() }
        if answers.count >= Self.limit { answers.removeAll(keepingCapacity: true) }
        answers[target] = answer
    }
}

/// Bytes a connection has sent, and requests it has been answered (one event loop each).
final class ByteCounter: @unchecked Sendable {
    var bytes = 0
    var answered = 0
}

/// Closes a connection that sends more than `budget` bytes per answered request: what bounds
/// the memory a client can make the HTTP decoder hold (long headers, many of them).
final class RequestBudgetHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let counter: ByteCounter
    private let budget: Int

    init(counter: ByteCounter, budget: Int) {
        self.counter = counter
        self.budget = budget
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        counter.bytes += unwrapInboundIn(data).readableBytes
        if counter.bytes > budget * (counter.answered + 1) {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

/// One connection's requests, answered in order (the pipeline handler keeps pipelined
/// requests in order).
final class KDSRequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let cache: KDSCache
    private let ready: ReadyAnswers
    private let counter: ByteCounter
    private let timeout: TimeAmount
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var refused: (HTTPResponseStatus, String)?
    private var deadline: Scheduled<Void>?

    init(cache: KDSCache, ready: ReadyAnswers, counter: ByteCounter, timeout: TimeAmount, logger: Logger) {
        self.cache = cache
        self.ready = ready
        self.counter = counter
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armDeadline(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    /// A request head must be complete within `timeout`: from the connection's start, and from
    /// each answer on (which is also how long an idle keep-alive connection stays).
    private func armDeadline(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            deadline?.cancel()
            deadline = nil
            head = request
            refused = nil
            if request.method != .GET && request.method != .HEAD {
                refused = (.methodNotAllowed, "only GET and HEAD")
            } else if request.uri.utf8.count > KDSObject.maximumTargetLength {
                refused = (.uriTooLong, "request target longer than \(KDSObject.maximumTargetLength) bytes")
            }
        case .body:
            if refused == nil { refused = (.payloadTooLarge, "requests have no body") }
        case .end:
            guard let request = head else { return }
            head = nil
            if let (status, text) = refused {
                respondText(context, request, status, text, close: true)
                return
            }
            answer(context, request)
        }
    }

    private func answer(_ context: ChannelHandlerContext, _ request: HTTPRequestHead) {
        if let (headers, body) = ready.get(request.uri) {
            respond(context, request, .ok, headers, body)
            return
        }
        let object: KDSObject
        do { object = try KDSObject(target: request.uri) } catch {
            respondText(context, request, error.notFound ? .notFound : .badRequest, error.message, close: false)
            return
        }
        let cache = self.cache
        let promise = context.eventLoop.makePromise(of: Result<KDSCache.Answer, KDSError>.self)
        promise.completeWithTask {
            do throws(KDSError) { return .success(try await cache.answer(object)) } catch { return .failure(error) }
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success(let answer):
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: answer.contentType)
                headers.add(name: "Content-Length", value: String(answer.body.count))
                if answer.immutable { headers.add(name: "Cache-Control", value: "public, max-age=86400") }
                let body = context.channel.allocator.buffer(bytes: answer.body)
                if answer.immutable { handler.ready.put(request.uri, (headers, body)) }
                handler.respond(context, request, .ok, headers, body)
            case .failure(let error):
                handler.logger.info("kds: \(request.uri): \(error.message)")
                handler.respondText(context, request, Self.status(error), Self.reason(error), close: false)
            }
        }
    }

    static func status(_ error: KDSError) -> HTTPResponseStatus {
        switch error.kind {
        case .notFound: .notFound
        case .httpStatus(let code) where code == 429 || code == 503: .serviceUnavailable
        case .offline, .httpStatus, .badContent, .cache: .badGateway
        }
    }

    /// One line for the client, without the upstream's own words (its host is the operator's).
    static func reason(_ error: KDSError) -> String {
        switch error.kind {
        case .notFound: "KDS has no such object"
        case .httpStatus(let code): "KDS answered HTTP \(code); try again later"
        case .offline: "KDS cannot be reached from this host"
        case .badContent: "KDS's answer was refused: \(error.detail ?? "it is not what was asked for")"
        case .cache: "the cache failed"
        }
    }

    private func respondText(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ text: String, close: Bool) {
        var headers = HTTPHeaders()
        let body = context.channel.allocator.buffer(string: text + "\n")
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        respond(context, request, status, headers, body, close: close)
    }

    private func respond(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ headers: HTTPHeaders,
        _ body: ByteBuffer, close: Bool = false
    ) {
        var headers = headers
        let keepAlive = request.isKeepAlive && !close
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        counter.answered += 1
        if keepAlive {
            armDeadline(context)
        } else {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
