import Hummingbird
import NIOCore

/// Hummingbird's per-request context, keeping the connection's channel so the peer check can
/// ask the kernel who connected.
struct DaemonRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
