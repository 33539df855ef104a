/// Everything that can go wrong talking to a QMP server.
///
/// Each case renders as one line that says what was being waited for or what was wrong, because
/// these messages end up verbatim in `sevhost` output and in attestation logs.
public enum QMPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The socket could not be connected.
    case connectionFailed(path: String, reason: String)
    /// Nothing arrived in time; `waitingFor` names the wait ("greeting", "reply to query-status").
    case timedOut(waitingFor: String, seconds: Double)
    /// The first message was not a QMP greeting.
    case malformedGreeting(String)
    /// A line was not JSON, or not a QMP message.
    case malformedMessage(String)
    /// A reply was JSON but not the shape the command returns: `field` names the member.
    case malformedReply(command: String, field: String, expected: String)
    /// The server sent more than `limit` bytes without a newline.
    case lineTooLong(limit: Int)
    /// The connection ended; `during` names what was in flight.
    case disconnected(during: String)
    /// The server answered with an error object.
    case command(QMPCommandError)
    /// The client was closed before (or while) the operation ran.
    case closed

    public var description: String {
        switch self {
        case .connectionFailed(let path, let reason):
            return "cannot connect to QMP socket \(path): \(reason)"
        case .timedOut(let what, let seconds):
            return "timed out after \(Self.format(seconds))s waiting for \(what)"
        case .malformedGreeting(let excerpt):
            return "expected a QMP greeting ({\"QMP\": ...}), got: \(excerpt)"
        case .malformedMessage(let excerpt):
            return "malformed QMP message: \(excerpt)"
        case .malformedReply(let command, let field, let expected):
            return "\(command) reply: field '\(field)': expected \(expected)"
        case .lineTooLong(let limit):
            return "QMP message longer than \(limit) bytes without a newline"
        case .disconnected(let during):
            return "QMP connection closed by the server during \(during)"
        case .command(let error):
            return error.description
        case .closed:
            return "QMP client is closed"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// An `{"error": {"class": ..., "desc": ...}}` reply.
///
/// `errorClass` is QMP's coarse machine-readable class (`GenericError`, `CommandNotFound`, ...);
/// `message` is QEMU's human text, which is the only place QEMU says *why*.
public struct QMPCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public var command: String
    public var errorClass: String
    public var message: String

    public init(command: String, errorClass: String, message: String) {
        self.command = command
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String { "\(command): \(errorClass): \(message)" }
}
