import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// The bounds on what one API connection may take from the daemon, enforced where requests
/// are framed (after HTTP decoding, before routing):
/// - a request's head must arrive within `headerTimeout` of the connection opening or of the
///   previous response (so a half-open request, or an idle kept-alive connection, is closed,
///   not held forever: 1,500 of them once held 1,500 descriptors);
/// - its body must arrive within `bodyTimeout` of its head;
/// - a declared `Content-Length` over `maximumBody`, or a body (chunked or not) that grows
///   past it, is answered 413 and the connection closed at once, instead of being waited for.
/// Time spent answering (a long-polled event wait, a start that waits for the VM) is the
/// daemon's, and is not bounded here. How many connections are open at once is bounded by the
/// server (`DaemonConfiguration.maximumConnections`).
public final class RequestLimits: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let maximumBody: Int
    private let logger: Logger

    private enum State {
        /// No request is being read: waiting for the next head (timed).
        case idle
        /// A head arrived and its body is being read (timed); `received` bytes so far.
        case readingBody(received: Int)
        /// The request was read; the daemon is answering (not timed).
        case answering
        /// Refused or timed out: the connection is being closed; anything more is dropped.
        case closing
    }

    private var state = State.idle
    private var deadline: Scheduled<Void>?

    public init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, maximumBody: Int, logger: Logger) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maximumBody = maximumBody
        self.logger = logger
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, headerTimeout, "the request's head") }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        if deadline == nil, case .idle = state { arm(context, headerTimeout, "the request's head") }
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.closing, _):
            return
        case (.idle, .head(let request)):
            if let declared = request.headerFields[.contentLength], let length = Int(declared), length > maximumBody {
                refuse(context, "Content-Length \(length) is over the \(maximumBody)-byte limit")
                return
            }
            state = .readingBody(received: 0)
            arm(context, bodyTimeout, "the request's body")
        case (.readingBody(let received), .body(let buffer)):
            let total = received + buffer.readableBytes
            guard total <= maximumBody else {
                refuse(context, "the body grew past the \(maximumBody)-byte limit")
                return
            }
            state = .readingBody(received: total)
        case (.readingBody, .end):
            deadline?.cancel()
            deadline = nil
            state = .answering
        default:
            // A pipelined request while one is answered: HTTP/1 clients of this API send one
            // at a time, and interleaving would leave nothing to time; refuse it.
            refuse(context, "a request arrived before the previous one was answered")
            return
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), case .answering = state {
            state = .idle
            arm(context, headerTimeout, "the next request's head")
        }
        context.write(data, promise: promise)
    }

    // MARK: -

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount, _ what: String) {
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.expire(context, what)
        }
    }

    private func expire(_ context: ChannelHandlerContext, _ what: String) {
        deadline = nil
        if case .closing = state { return }
        if case .idle = state {
            // An idle connection, or a client that never finished a head: nothing to answer.
            logger.debug("closing a connection that sent no request in time", metadata: ["waiting for": "\(what)"])
        } else {
            logger.notice("closing a connection whose request did not arrive in time", metadata: ["waiting for": "\(what)"])
        }
        state = .closing
        context.close(promise: nil)
    }

    /// 413 and close: the client learns why, and the rest of its request is not read.
    private func refuse(_ context: ChannelHandlerContext, _ why: String) {
        deadline?.cancel()
        deadline = nil
        let answering: Bool
        if case .answering = state { answering = true } else { answering = false }
        state = .closing
        logger.notice("refused a request", metadata: ["reason": "\(why)"])
        guard !answering else {
            // A response is on its way for the previous request: closing is all that is left.
            context.close(promise: nil)
            return
        }
        var head = HTTPResponse(status: .contentTooLarge)
        head.headerFields[.connection] = "close"
        head.headerFields[.contentLength] = "0"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
