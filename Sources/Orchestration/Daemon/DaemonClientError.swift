/// Why a request to sevhostd did not produce the answer the client expected.
///
/// The cases separate what a user does next: start the daemon or fix the socket path
/// (`cannotConnect`), act on the daemon's refusal (`api`, whose `code` is stable), or suspect
/// the daemon or whatever listens on the socket (`malformedResponse`, `timedOut`).
public enum DaemonClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The socket could not be connected to; `reason` is the system's (`No such file or
    /// directory`, `Permission denied`, `Connection refused`).
    case cannotConnect(path: String, reason: String)
    /// The daemon answered with an error body: HTTP status, `code` (see `DaemonErrorCode`)
    /// and a one-line message.
    case api(status: Int, code: String, message: String)
    /// The answer was not what the API promises: not HTTP, cut short, too large, an error
    /// status without an error body, or JSON of the wrong shape. `request` is `METHOD PATH`.
    case malformedResponse(request: String, problem: String)
    /// Nothing (or not all of the answer) arrived within `seconds`.
    case timedOut(request: String, seconds: Double)

    /// The error body's code, typed, when this is an API error with a known code.
    public var code: DaemonErrorCode? {
        if case .api(_, let code, _) = self { return DaemonErrorCode(rawValue: code) }
        return nil
    }

    public var description: String {
        switch self {
        case .cannotConnect(let path, let reason):
            "cannot reach sevhostd at \(path): \(reason)"
        case .api(_, _, let message):
            message
        case .malformedResponse(let request, let problem):
            "malformed answer from sevhostd to \(request): \(problem)"
        case .timedOut(let request, let seconds):
            "sevhostd did not answer \(request) within \(Self.format(seconds))s"
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int64(seconds)) : String(seconds)
    }
}
