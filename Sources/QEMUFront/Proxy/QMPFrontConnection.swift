import NIOCore
import NIOPosix
import QMP

/// One client connection to a fronted QMP monitor and its twin connection to the real QEMU's
/// private socket.
///
/// Client to QEMU: the byte stream is split as QEMU's streamer splits it (`QMPInputSplitter`);
/// every byte goes on unchanged, except a command only SEV hardware can answer, which goes with
/// its id replaced by a tag (`QMPTagging`), followed by the commands the simulated AMD-SP needs
/// answered to reply (its companions).
///
/// QEMU to client: QEMU writes one message per line. Lines go on unchanged, in order, including
/// QEMU's greeting (held until the launch is done) and its events; a reply to a tagged command
/// is replaced by the simulated AMD-SP's answer, or by QEMU's own reply with the client's id
/// restored; replies to companions are consumed. A `RESUME` event tells the simulated AMD-SP
/// that the guest runs.
///
/// QEMU serves one client per monitor at a time and the front does not change that: a second
/// client's connection to the private socket waits, as it would on QEMU's.
final class QMPFrontConnection: @unchecked Sendable {
    private let context: FrontContext
    private let client: any Channel
    private var upstream: (any Channel)?
    private var splitter = QMPInputSplitter()
    private var nextTag = 0
    private var pending: [Int: Pending] = [:]
    /// Companion tag → the tag of the command it serves, and its position.
    private var companionOf: [Int: (parent: Int, index: Int)] = [:]
    private var lineBuffer: ByteBuffer?
    /// Lines longer than this are handed on in pieces (no tagged reply is that long).
    static let maximumLineLength = 16 << 20

    struct Pending {
        var request: HardwareRequest
        var companions: [QMPOutcome?]
        var reply: QMPTagging.Reply?
    }

    init(context: FrontContext, client: any Channel) {
        self.context = context
        self.client = client
    }

    // MARK: - Lifecycle

    /// Connects to QEMU's private socket; reading from the client starts once connected, and
    /// reading from QEMU once the launch is done. QEMU may not have opened the socket yet when
    /// a client comes early: the front keeps trying while the client waits, as the client
    /// would wait for a QEMU that is still starting.
    func start(privateSocket: String) {
        context.connectionOpened()
        connectUpstream(privateSocket)
    }

    private func connectUpstream(_ privateSocket: String) {
        let upstreamHandler = UpstreamHandler(connection: self)
        ClientBootstrap(group: context.loop)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(upstreamHandler) }
            }
            .connect(unixDomainSocketPath: privateSocket)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard self.client.isActive else {
                        channel.close(promise: nil)
                        return
                    }
                    self.upstream = channel
                    self.client.setOption(.autoRead, value: true).whenSuccess { self.client.read() }
                    self.context.whenReady {
                        channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
                    }
                case .failure:
                    guard self.client.isActive else { return }
                    self.context.loop.scheduleTask(in: .milliseconds(10)) { self.connectUpstream(privateSocket) }
                }
            }
    }

    /// The client went away: so does the connection to QEMU, as when a client leaves QEMU.
    func clientClosed() {
        upstream?.close(promise: nil)
        guard !finished else { return }
        finished = true
        context.connectionClosed()
    }

    private var finished = false

    /// QEMU closed the monitor (it exits): what it wrote reaches the client, then the client's
    /// connection closes too.
    func upstreamClosed() {
        if let lineBuffer, lineBuffer.readableBytes > 0 {
            client.write(lineBuffer, promise: nil)
            self.lineBuffer = nil
        }
        client.writeAndFlush(client.allocator.buffer(capacity: 0)).whenComplete { _ in
            self.client.close(promise: nil)
        }
    }

    // MARK: - Client to QEMU

    func fromClient(_ buffer: ByteBuffer) {
        guard let upstream else { return }
        for piece in splitter.feed(buffer.readableBytesView) {
            switch piece {
            case .passThrough(let bytes):
                upstream.write(upstream.allocator.buffer(bytes: bytes), promise: nil)
            case .object(let bytes):
                upstream.write(upstream.allocator.buffer(bytes: route(bytes)), promise: nil)
            }
        }
    }

    func fromClientComplete() {
        upstream?.flush()
        relieve(reader: client, writer: upstream)
    }

    /// Back-pressure: while one side cannot take more, the other is not read, so neither the
    /// front nor a client that writes faster than QEMU reads can grow a buffer without end.
    private func relieve(reader: any Channel, writer: (any Channel)?) {
        guard let writer else { return }
        if !writer.isWritable { _ = reader.setOption(.autoRead, value: false) }
    }

    /// `channel` can take writes again: read from its twin again.
    func writable(_ channel: any Channel) {
        let reader: (any Channel)? = channel === client ? upstream : client
        guard let reader, channel.isWritable else { return }
        if reader === upstream, !context.isReady { return }
        reader.setOption(.autoRead, value: true).whenSuccess { reader.read() }
    }

    /// The object as it goes to QEMU: unchanged, or tagged with its companions after it.
    private func route(_ object: [UInt8]) -> [UInt8] {
        // Every SEV command's name has "sev" in it; most objects are passed on without parsing.
        guard object.withUnsafeBytes({ contains($0, Self.sev) }),
              let node = QEMUJSONReader.read(object),
              let command = (node.member("execute") ?? node.member("exec-oob"))?.value.stringValue,
              context.processor.hardwareCommands.contains(command)
        else { return object }
        let request = HardwareRequest(command: command, arguments: node.member("arguments")?.value.objectValue ?? [:])
        let companions = context.processor.companionCommands(for: request)
        let tag = nextTag
        nextTag += 1 + companions.count
        pending[tag] = Pending(request: request, companions: Array(repeating: nil, count: companions.count), reply: nil)
        var output = context.tagging.tagged(object, node: node, tag: tag)
        for (index, companion) in companions.enumerated() {
            companionOf[tag + 1 + index] = (tag, index)
            output += context.tagging.tagged(companion, tag: tag + 1 + index)
        }
        return output
    }

    // MARK: - QEMU to client

    func fromUpstream(_ buffer: ByteBuffer) {
        var buffer = buffer
        if var held = lineBuffer {
            held.writeBuffer(&buffer)
            buffer = held
            lineBuffer = nil
        }
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
            handleLine(line)
        }
        if buffer.readableBytes > Self.maximumLineLength {
            client.write(buffer, promise: nil)
        } else if buffer.readableBytes > 0 {
            lineBuffer = buffer
        }
    }

    func fromUpstreamComplete() {
        client.flush()
        if let upstream { relieve(reader: upstream, writer: client) }
    }

    private func handleLine(_ line: ByteBuffer) {
        if !pending.isEmpty, line.readableBytesView.withUnsafeBytes(context.tagging.mayBeTagged),
           let reply = context.tagging.reply(Array(line.readableBytesView.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") })) {
            handleTaggedReply(reply)
            return
        }
        if Self.isResumeEvent(line) {
            client.write(line, promise: nil)
            context.guestStarted()
            return
        }
        client.write(line, promise: nil)
    }

    static let sev = Array("sev".utf8)
    static let eventPrefix = Array("{\"timestamp\": ".utf8)
    static let resume = Array("\"event\": \"RESUME\"".utf8)

    static func isResumeEvent(_ line: ByteBuffer) -> Bool {
        let view = line.readableBytesView
        guard view.starts(with: eventPrefix) else { return false }
        return view.withUnsafeBytes { contains($0, resume) }
    }

    private func handleTaggedReply(_ reply: QMPTagging.Reply) {
        if let (parent, index) = companionOf.removeValue(forKey: reply.tag) {
            pending[parent]?.companions[index] = reply.outcome
            emitIfComplete(parent)
        } else if pending[reply.tag] != nil {
            pending[reply.tag]?.reply = reply
            emitIfComplete(reply.tag)
        }
    }

    private func emitIfComplete(_ tag: Int) {
        guard let entry = pending[tag], let reply = entry.reply else { return }
        let companions = entry.companions.compactMap { $0 }
        guard companions.count == entry.companions.count else { return }
        pending[tag] = nil
        let line: String
        if let answer = context.processor.answer(entry.request, qemu: reply.outcome, companions: companions) {
            line = QMPTagging.replyLine(answer, id: reply.originalID)
        } else {
            line = reply.restoredLine
        }
        client.write(client.allocator.buffer(string: line), promise: nil)
    }
}

/// The client side of a `QMPFrontConnection`.
final class ClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let context: FrontContext
    private let privateSocket: String
    private var connection: QMPFrontConnection?

    init(context: FrontContext, privateSocket: String) {
        self.context = context
        self.privateSocket = privateSocket
    }

    func channelActive(context channelContext: ChannelHandlerContext) {
        let connection = QMPFrontConnection(context: context, client: channelContext.channel)
        self.connection = connection
        connection.start(privateSocket: privateSocket)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection?.fromClient(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.fromClientComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection?.clientClosed()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.writable(context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The QEMU side of a `QMPFrontConnection`.
final class UpstreamHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let connection: QMPFrontConnection

    init(connection: QMPFrontConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.fromUpstream(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.fromUpstreamComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.upstreamClosed()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.writable(context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
