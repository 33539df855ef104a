import Hummingbird
import Logging

/// Refuses, with 403, every request whose peer the access policy does not allow; nothing
/// else runs for it.
struct PeerCheckMiddleware: RouterMiddleware {
    typealias Context = DaemonRequestContext

    let access: AccessPolicy
    let metrics: DaemonMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let peer: PeerCredentials
        do {
            peer = try await PeerCredentials.of(context.channel)
        } catch {
            throw DaemonError.forbidden("the peer's credentials cannot be read: \(error)")
        }
        guard access.allows(peer) else {
            metrics.forbidden.increment()
            logger.warning("refused a peer", metadata: ["pid": "\(peer.pid)", "uid": "\(peer.uid)", "gid": "\(peer.gid)", "path": "\(request.uri.path)"])
            throw DaemonError.forbidden("uid \(peer.uid) (gid \(peer.gid)) may not use sevhostd: \(access.description)")
        }
        metrics.requests.increment()
        return try await next(request, context)
    }
}
