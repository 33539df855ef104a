#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// An async client for one QMP connection over a Unix socket.
///
/// `connect` returns only once QEMU's greeting has been read and, by default, capabilities
/// negotiated, so every client in hand is ready for commands. Every wait has a deadline: a QMP
/// server that stops talking produces `QMPError.timedOut`, never a hang. Requests may be issued
/// concurrently from several tasks; replies are matched to requests by `id`.
///
/// The client is an actor whose executor is the connection's event loop: its state and the
/// socket live on one thread, and a flow that runs isolated to the client (see `run(_:)`)
/// sends a command and resumes on its reply without a thread hop.
///
/// Events arrive two ways: `events` is an `AsyncStream` of every event for observers (one
/// consumer), and `nextEvent(named:)` takes events from a queue for scripted flows that wait
/// for, say, `SHUTDOWN` after `quit` (an event that arrived before the wait is not missed).
public actor QMPClient {
    /// The default deadline for connecting, the greeting and each reply.
    public static let defaultTimeout: Duration = .seconds(10)
    /// The longest line accepted from the server. QEMU's largest replies (`query-qmp-schema`)
    /// are a few hundred KiB; 16 MiB leaves room while keeping a hostile server from growing
    /// the buffer without end.
    public static let defaultMaximumLineLength = 16 << 20

    /// What the server said when we connected.
    public nonisolated let greeting: QMPGreeting
    /// Every event the server sends, in order (buffers the newest 4096 when nobody reads).
    public nonisolated let events: AsyncStream<QMPEvent>
    /// The deadline for each reply when a call does not give its own.
    public nonisolated let timeout: Duration
    /// The socket's path, for messages.
    public nonisolated let path: String

    private nonisolated let eventLoop: any EventLoop
    private let handler: QMPChannelHandler

    /// The connection's event loop runs the actor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        eventLoop.executor.asUnownedSerialExecutor()
    }

    private init(handler: QMPChannelHandler, greeting: QMPGreeting, events: AsyncStream<QMPEvent>, timeout: Duration, path: String) {
        self.eventLoop = handler.eventLoop
        self.handler = handler
        self.greeting = greeting
        self.events = events
        self.timeout = timeout
        self.path = path
    }

    /// Connects to the QMP socket at `path`, reads the greeting and (when `negotiate`) sends
    /// `qmp_capabilities`. `timeout` bounds the connect, the greeting and the negotiation each,
    /// and is the default deadline of later commands.
    public static func connect(
        path: String,
        timeout: Duration = defaultTimeout,
        negotiate: Bool = true,
        maximumLineLength: Int = defaultMaximumLineLength,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(QMPError) -> QMPClient {
        let eventLoop = eventLoopGroup.next()
        let (events, continuation) = AsyncStream.makeStream(of: QMPEvent.self, bufferingPolicy: .bufferingNewest(4096))
        let handler = QMPChannelHandler(eventLoop: eventLoop, events: continuation)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(QMPLineDecoder(maximumLength: maximumLineLength)))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        } catch {
            let failure = QMPError.connectionFailed(path: path, reason: Self.reason(error, timeout: timeout))
            eventLoop.execute { handler.abandon(failure) }
            throw failure
        }
        let greeting: QMPGreeting
        do {
            greeting = try await eventLoop.flatSubmit {
                handler.greeting(timeout: TimeAmount(timeout), seconds: timeout / .seconds(1))
            }.get()
        } catch {
            channel.close(promise: nil)
            throw QMPError.narrow(error)
        }
        let client = QMPClient(handler: handler, greeting: greeting, events: events, timeout: timeout, path: path)
        if negotiate {
            do {
                try await client.negotiate()
            } catch {
                await client.close()
                throw error
            }
        }
        return client
    }

    /// Sends `qmp_capabilities` (no optional capabilities), leaving negotiation mode; QEMU
    /// refuses every other command until this is done.
    public func negotiate(timeout: Duration? = nil) async throws(QMPError) {
        _ = try await execute("qmp_capabilities", timeout: timeout)
    }

    /// Runs any command and returns its `return` value: the raw form behind `sevhost qmp raw`.
    public func execute(_ command: String, arguments: QMPValue.Object? = nil, timeout: Duration? = nil) async throws(QMPError) -> QMPValue {
        let deadline = timeout ?? self.timeout
        let handler = self.handler
        // The closure runs here, on the event loop; the reply resumes us here too.
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<QMPValue, QMPError>, Never>) in
            handler.send(command: command, arguments: arguments, timeout: TimeAmount(deadline), seconds: deadline / .seconds(1)) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }

    /// Runs a typed command and decodes its reply.
    public func execute<Command: QMPCommand>(_ command: Command, timeout: Duration? = nil) async throws(QMPError) -> Command.Reply {
        let value = try await execute(Command.name, arguments: command.arguments, timeout: timeout)
        return try Command.decodeReply(value)
    }

    /// Waits for the next event named in `names` (any event when empty), taking it off the
    /// queue. Events of other names stay queued for later waits.
    public func nextEvent(named names: Set<String> = [], timeout: Duration? = nil) async throws(QMPError) -> QMPEvent {
        let deadline = timeout ?? self.timeout
        let handler = self.handler
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<QMPEvent, QMPError>, Never>) in
            handler.nextEvent(named: names, timeout: TimeAmount(deadline), seconds: deadline / .seconds(1)) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }

    /// Runs `body` isolated to the client, on the connection's event loop: a scripted
    /// sequence of commands then costs no thread hop per command.
    public func run<Value: Sendable, Failure: Error>(_ body: @Sendable (isolated QMPClient) async throws(Failure) -> Value) async throws(Failure) -> Value {
        try await body(self)
    }

    /// Closes the connection. Requests still waiting fail with `QMPError.closed`. Idempotent.
    public func close() async {
        _ = try? await handler.close().get()
    }

    private static func reason(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "no answer within \(timeout / .seconds(1))s"
        }
        if let error = error as? IOError {
            // The system's words (`No such file or directory`), not NIO's description, which
            // names its own function and closes a parenthesis it never opened.
            return String(cString: strerror(error.errnoCode))
        }
        if let error = error as? SocketAddressError, case .unixDomainSocketPathTooLong = error {
            return "the path is too long for a Unix socket address"
        }
        return String(describing: error)
    }
}

extension QMPError {
    /// Futures carry `any Error`; every failure the handler produces is a `QMPError`.
    static func narrow(_ error: any Error) -> QMPError {
        if let error = error as? QMPError { return error }
        return .disconnected(during: String(describing: error))
    }
}
