import NIOCore

/// The connection's state machine: matches replies to requests by `id`, queues events and
/// enforces every deadline.
///
/// All mutable state lives on the channel's event loop and every entry point runs there (the
/// client is an actor whose executor *is* that loop), which is what makes the
/// `@unchecked Sendable` true: nothing is touched from another thread.
final class QMPChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Called on the event loop, exactly once, with a request's outcome.
    typealias Completion<Value> = (Result<Value, QMPError>) -> Void

    /// A request waiting for its reply.
    private struct Pending {
        var command: String
        var completion: Completion<QMPValue>
        var deadline: Scheduled<Void>?
    }

    /// A caller of `nextEvent(named:)` waiting for a matching event.
    private struct EventWaiter {
        var token: UInt64
        var names: Set<String>
        var completion: Completion<QMPEvent>
        var deadline: Scheduled<Void>?
    }

    let eventLoop: EventLoop
    private var context: ChannelHandlerContext?
    /// Outstanding until the greeting arrives; `greetingFuture` outlives it.
    private var greetingPromise: EventLoopPromise<QMPGreeting>?
    private let greetingFuture: EventLoopFuture<QMPGreeting>
    private var greetingDeadline: Scheduled<Void>?
    private var pending: [Int64: Pending] = [:]
    private var nextID: Int64 = 1
    /// The request sent without an `id`, whose reply therefore comes without one. A request goes
    /// untagged only when nothing else is in flight (the usual one-at-a-time flow), saving QEMU
    /// from reading the id's bytes. The first reply without an id is its reply; if that request
    /// expired first, the late reply is recognised and dropped rather than given to another.
    private var untaggedID: Int64?
    /// Set once a request has expired: its reply may still arrive, so from then on every
    /// request carries an id.
    private var repliesMayStraggle = false
    private var eventWaiters: [EventWaiter] = []
    private var nextWaiterToken: UInt64 = 0
    /// Events not yet taken by `nextEvent`, oldest first, bounded so a chatty guest with no
    /// reader cannot grow memory without end.
    private var eventBacklog: [QMPEvent] = []
    private let eventBacklogLimit = 4096
    private let eventStream: AsyncStream<QMPEvent>.Continuation
    /// Set once the connection is unusable; later requests fail with it at once.
    private var terminalError: QMPError?
    private var closeRequested = false

    init(eventLoop: EventLoop, events: AsyncStream<QMPEvent>.Continuation) {
        self.eventLoop = eventLoop
        let promise = eventLoop.makePromise(of: QMPGreeting.self)
        self.greetingPromise = promise
        self.greetingFuture = promise.futureResult
        self.eventStream = events
    }

    // MARK: Entry points for the client (always on the event loop)

    /// The greeting, or the reason it did not come within `timeout`.
    /// It may already have arrived (or failed) by the time the client asks: the future is
    /// kept for that, and the deadline only starts if it is still outstanding.
    func greeting(timeout: TimeAmount, seconds: Double) -> EventLoopFuture<QMPGreeting> {
        eventLoop.assertInEventLoop()
        if greetingPromise != nil, greetingDeadline == nil {
            greetingDeadline = eventLoop.scheduleTask(in: timeout) { [self] in
                fail(.timedOut(waitingFor: "the QMP greeting", seconds: seconds))
            }
        }
        return greetingFuture
    }

    /// Sends `{"execute": command, "arguments": ..., "id": N}`; `completion` gets the reply.
    func send(command: String, arguments: QMPValue.Object?, timeout: TimeAmount, seconds: Double, completion: @escaping Completion<QMPValue>) {
        eventLoop.assertInEventLoop()
        if let terminalError {
            completion(.failure(terminalError))
            return
        }
        guard let context else {
            completion(.failure(.closed))
            return
        }
        let id = nextID
        nextID += 1
        // QMP answers requests in order, so with nothing else in flight (and no expired request
        // whose reply may still come) the next reply without an id can only be this one's.
        let tagged = !pending.isEmpty || repliesMayStraggle
        if !tagged { untaggedID = id }
        var buffer = context.channel.allocator.buffer(capacity: 64 + command.utf8.count)
        QMPRequest.write(command: command, arguments: arguments, id: tagged ? id : nil, into: &buffer)
        let deadline = eventLoop.scheduleTask(in: timeout) { [self] in
            guard let expired = pending.removeValue(forKey: id) else { return }
            repliesMayStraggle = true
            expired.completion(.failure(.timedOut(waitingFor: "the reply to \(command)", seconds: seconds)))
        }
        pending[id] = Pending(command: command, completion: completion, deadline: deadline)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// The first queued event named in `names` (any event when empty), waiting up to `timeout`.
    func nextEvent(named names: Set<String>, timeout: TimeAmount, seconds: Double, completion: @escaping Completion<QMPEvent>) {
        eventLoop.assertInEventLoop()
        if let index = eventBacklog.firstIndex(where: { names.isEmpty || names.contains($0.name) }) {
            completion(.success(eventBacklog.remove(at: index)))
            return
        }
        if let terminalError {
            completion(.failure(terminalError))
            return
        }
        let token = nextWaiterToken
        nextWaiterToken += 1
        let what = names.isEmpty ? "an event" : "event " + names.sorted().joined(separator: " or ")
        let deadline = eventLoop.scheduleTask(in: timeout) { [self] in
            guard let index = eventWaiters.firstIndex(where: { $0.token == token }) else { return }
            eventWaiters.remove(at: index).completion(.failure(.timedOut(waitingFor: what, seconds: seconds)))
        }
        eventWaiters.append(EventWaiter(token: token, names: names, completion: completion, deadline: deadline))
    }

    /// Gives up on a connection that never came up, completing the greeting's promise (NIO
    /// insists that no promise is dropped uncompleted).
    func abandon(_ error: QMPError) {
        eventLoop.assertInEventLoop()
        fail(error)
    }

    /// Closes the connection; everything still waiting fails with `QMPError.closed`.
    func close() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        closeRequested = true
        guard let context else { return eventLoop.makeSucceededVoidFuture() }
        fail(.closed)
        return context.close().recover { _ in }
    }

    // MARK: ChannelInboundHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data).readableBytesView
        if greetingPromise != nil {
            receiveGreeting(line)
            return
        }
        let message: QMPMessage
        do {
            message = try QMPMessage(line: line)
        } catch {
            fail(error)
            return
        }
        switch message {
        case .greeting:
            fail(.malformedMessage("a second greeting"))
        case .reply(let id, let outcome):
            deliver(id: id, outcome: outcome)
        case .event(let event):
            deliver(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(closeRequested ? .closed : .disconnected(during: inFlightDescription))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? QMPError {
            fail(error)
        } else {
            // ECONNRESET and friends: for the caller this is the server going away.
            fail(.disconnected(during: inFlightDescription))
        }
    }

    // MARK: Internals

    private func receiveGreeting(_ line: ByteBufferView) {
        let greeting: QMPGreeting
        do {
            guard case .greeting(let parsed) = try QMPMessage(line: line) else {
                throw QMPError.malformedGreeting(QMPValue.excerpt(line))
            }
            greeting = parsed
        } catch {
            fail(.malformedGreeting(QMPValue.excerpt(line)))
            return
        }
        greetingDeadline?.cancel()
        greetingDeadline = nil
        let promise = greetingPromise
        greetingPromise = nil
        promise?.succeed(greeting)
    }

    private func deliver(id: QMPValue?, outcome: QMPMessage.Outcome) {
        let key: Int64
        if let number = id?.int64Value {
            key = number
        } else if id == nil || id == .null {
            if let untaggedID {
                // The untagged request's reply (stale if that request expired: dropped below).
                key = untaggedID
            } else if pending.count == 1, let only = pending.keys.first {
                // QEMU answers a request it could not parse without an id; with one request in
                // flight there is no doubt whose error it is.
                key = only
            } else {
                return
            }
        } else {
            return  // not ours (an id we never sent): ignore rather than misattribute
        }
        if key == untaggedID { untaggedID = nil }
        guard let request = pending.removeValue(forKey: key) else { return }
        request.deadline?.cancel()
        switch outcome {
        case .success(let value):
            request.completion(.success(value))
        case .failure(let errorClass, let message):
            request.completion(.failure(.command(QMPCommandError(command: request.command, errorClass: errorClass, message: message))))
        }
    }

    private func deliver(_ event: QMPEvent) {
        eventStream.yield(event)
        if let index = eventWaiters.firstIndex(where: { $0.names.isEmpty || $0.names.contains(event.name) }) {
            let waiter = eventWaiters.remove(at: index)
            waiter.deadline?.cancel()
            waiter.completion(.success(event))
            return
        }
        if eventBacklog.count == eventBacklogLimit { eventBacklog.removeFirst() }
        eventBacklog.append(event)
    }

    /// What a disconnect interrupted, for the error message.
    private var inFlightDescription: String {
        if greetingPromise != nil { return "the QMP greeting" }
        let commands = pending.values.map(\.command).sorted()
        if commands.isEmpty { return "an idle connection" }
        return "the reply to " + commands.joined(separator: ", ")
    }

    /// Fails everything that waits and makes the connection unusable. Idempotent.
    private func fail(_ error: QMPError) {
        if terminalError == nil { terminalError = error }
        if let promise = greetingPromise {
            greetingPromise = nil
            greetingDeadline?.cancel()
            promise.fail(error)
        }
        let requests = pending
        pending.removeAll()
        for request in requests.values {
            request.deadline?.cancel()
            request.completion(.failure(error))
        }
        let waiters = eventWaiters
        eventWaiters.removeAll()
        for waiter in waiters {
            waiter.deadline?.cancel()
            waiter.completion(.failure(error))
        }
        eventStream.finish()
        if !closeRequested, let context, context.channel.isActive {
            closeRequested = true
            context.close(promise: nil)
        }
    }
}
