import Foundation
import NIOCore
import NIOPosix
import QMP

/// One QMP connection: the greeting, capability negotiation, then commands answered by the
/// machine, with `id` echoed and events written before the reply that caused them.
final class QMPServerHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let machine: SimulatedMachine
    private let connections: NegotiatedConnections
    private let onQuit: @Sendable () -> Void
    private var negotiated = false

    init(machine: SimulatedMachine, connections: NegotiatedConnections, onQuit: @escaping @Sendable () -> Void) {
        self.machine = machine
        self.connections = connections
        self.onQuit = onQuit
    }

    func channelActive(context: ChannelHandlerContext) {
        send(SimulatedMachine.greeting, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        let bytes = line.readableBytesView
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { return }
        guard let message = try? QMPValue(json: Array(bytes)), let object = message.objectValue else {
            send(Self.error("GenericError", "JSON parse error, invalid message", id: nil), context: context)
            return
        }
        let id = object["id"]
        guard let command = (object["execute"] ?? object["exec-oob"])?.stringValue else {
            send(Self.error("GenericError", "QMP input lacks member 'execute'", id: id), context: context)
            return
        }
        let arguments = object["arguments"]?.objectValue ?? [:]
        if command == "qmp_capabilities" {
            if negotiated {
                send(Self.error("CommandNotFound", "Capabilities negotiation is already complete, command ignored", id: id), context: context)
            } else {
                negotiated = true
                connections.add(context.channel)
                send(Self.reply(.object([:]), id: id), context: context)
            }
            return
        }
        guard negotiated else {
            send(Self.error("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'", id: id), context: context)
            return
        }
        let outcome = machine.execute(command, arguments: arguments)
        for event in outcome.events { send(Self.event(event), context: context) }
        switch outcome.reply {
        case .success(let value): send(Self.reply(value, id: id), context: context)
        case .failure(let error): send(Self.error(error.errorClass, error.message, id: id), context: context)
        }
        if outcome.exitAfterReply {
            let onQuit = self.onQuit
            context.close(promise: nil)
            onQuit()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connections.remove(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func send(_ value: QMPValue, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 256)
        buffer.writeString(value.jsonText())
        buffer.writeString("\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private static func reply(_ value: QMPValue, id: QMPValue?) -> QMPValue {
        var object: QMPValue.Object = ["return": value]
        if let id { object["id"] = id }
        return .object(object)
    }

    private static func error(_ errorClass: String, _ description: String, id: QMPValue?) -> QMPValue {
        var object: QMPValue.Object = ["error": ["class": .string(errorClass), "desc": .string(description)]]
        if let id { object["id"] = id }
        return .object(object)
    }

    static func event(_ event: QMPEvent) -> QMPValue {
        var now = timeval()
        gettimeofday(&now, nil)
        return [
            "event": .string(event.name),
            "data": .object(event.data),
            "timestamp": ["seconds": .int(Int64(now.tv_sec)), "microseconds": .int(Int64(now.tv_usec))],
        ]
    }
}

/// Listens on the QMP Unix socket; all connections share one event loop, so the machine sees
/// one command at a time.
enum QMPServer {
    static func run(socketPath: String, machine: SimulatedMachine) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let connections = NegotiatedConnections()
        let signalSources = ShutdownSignals.install(on: loop, connections: connections, socketPath: socketPath)
        defer { signalSources.forEach { $0.cancel() } }
        unlink(socketPath)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(QMPLineDecoder(maximumLength: 16 << 20, deliversUnterminatedLine: true)))
                    try channel.pipeline.syncOperations.addHandler(QMPServerHandler(machine: machine, connections: connections) {
                        unlink(socketPath)
                        // QEMU exits once it has answered `quit`; give the reply a moment to leave.
                        channel.eventLoop.scheduleTask(in: .milliseconds(50)) { exit(0) }
                    })
                }
            }
        let server = try await bootstrap.bind(unixDomainSocketPath: socketPath).get()
        try await server.closeFuture.get()
    }
}
