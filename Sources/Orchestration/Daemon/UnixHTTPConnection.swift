#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 exchange over a fresh connection to a Unix socket.
///
/// A connection per request keeps the client stateless: nothing to reconnect after the daemon
/// restarts, and a long poll on one request never holds up another. Over a local socket the
/// connect costs microseconds.
enum UnixHTTPConnection {
    /// Connects (within `connectTimeout`), sends `request`, and waits up to `responseTimeout`
    /// from then for the whole response.
    static func exchange(
        _ request: DaemonHTTPRequest,
        path: String,
        connectTimeout: Duration,
        responseTimeout: Duration,
        maximumResponseSize: Int,
        eventLoopGroup: any EventLoopGroup
    ) async throws(DaemonClientError) -> DaemonHTTPResponse {
        let eventLoop = eventLoopGroup.next()
        let promise = eventLoop.makePromise(of: DaemonHTTPResponse.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        DaemonResponseCollector(request: request, promise: promise, maximumSize: maximumResponseSize))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        } catch {
            let failure = DaemonClientError.cannotConnect(path: path, reason: DaemonSocketReason.text(error, timeout: connectTimeout))
            // The first completion wins; this one only matters when the handler never ran.
            promise.fail(failure)
            throw failure
        }
        let label = request.label
        let seconds = responseTimeout / .seconds(1)
        let timer = eventLoop.scheduleTask(in: TimeAmount(responseTimeout)) {
            promise.fail(DaemonClientError.timedOut(request: label, seconds: seconds))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        do {
            return try await promise.futureResult.get()
        } catch let error as DaemonClientError {
            throw error
        } catch {
            throw .malformedResponse(request: label, problem: "\(error)")
        }
    }
}

/// The system's words for a socket failure: `No such file or directory`, not NIO's
/// `connect(descriptor:addr:size:): ... (errno: 2)`.
enum DaemonSocketReason {
    static func text(_ error: any Error, timeout: Duration? = nil) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "no connection within " + (timeout.map { DaemonClientError.format($0 / .seconds(1)) + "s" } ?? "the allowed time")
        }
        if let error = error as? SocketAddressError, case .unixDomainSocketPathTooLong = error {
            return "the path is too long for a Unix socket address"
        }
        return "\(error)"
    }
}
