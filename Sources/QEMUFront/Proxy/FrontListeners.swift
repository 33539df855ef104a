import NIOCore
import NIOPosix

/// The sockets a client expects the monitors on, bound by the front itself.
enum FrontListeners {
    /// Binds `monitor`'s client endpoint; each accepted connection is relayed to the monitor's
    /// private socket. A path is replaced if something is there, as QEMU replaces it.
    static func bind(_ monitor: FrontPlan.Monitor, context: FrontContext) -> EventLoopFuture<any Channel> {
        let bootstrap = ServerBootstrap(group: context.loop)
            .serverChannelOption(.backlog, value: 16)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientHandler(context: context, privateSocket: monitor.privateSocket))
                }
            }
        switch monitor.client {
        case .path(let path):
            return bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
        case .descriptor(let fd):
            return bootstrap.withBoundSocket(fd)
        }
    }
}
