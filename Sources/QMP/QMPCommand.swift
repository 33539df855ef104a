/// A QMP command with typed arguments and a typed reply.
///
/// Conforming types are plain values (`QueryStatus()`, `SEVInjectLaunchSecret(...)`), so a flow
/// can build, log and replay them; `QMPClient.execute(_:)` sends one and decodes the reply.
public protocol QMPCommand: Sendable {
    associatedtype Reply: Sendable
    /// The QMP command name (`query-status`).
    static var name: String { get }
    /// The `arguments` member, or nil for a command without arguments.
    var arguments: QMPValue.Object? { get }
    /// Reads the command's `return` value.
    static func decodeReply(_ value: QMPValue) throws(QMPError) -> Reply
}

extension QMPCommand {
    public var arguments: QMPValue.Object? { nil }
}

/// The empty `{}` that commands like `cont` return: nothing to decode.
public struct QMPEmptyReply: Sendable, Hashable {
    public init() {}
}

extension QMPCommand where Reply == QMPEmptyReply {
    public static func decodeReply(_ value: QMPValue) throws(QMPError) -> QMPEmptyReply {
        QMPEmptyReply()
    }
}
