/// One server-to-client message, classified by its top-level key: what the client makes of
/// each line a QEMU sends (public so the fuzz target can feed it what a hostile QEMU might).
public enum QMPMessage: Sendable {
    case greeting(QMPGreeting)
    /// `{"return": ...}` or `{"error": ...}`, with the request's `id` when it had one.
    case reply(id: QMPValue?, outcome: Outcome)
    case event(QMPEvent)

    public enum Outcome: Sendable {
        case success(QMPValue)
        case failure(errorClass: String, message: String)
    }

    /// Classifies one line. The greeting is recognised by its `QMP` key so a server that
    /// sends something else first is caught as a malformed greeting rather than a stray reply.
    public init(line: some Collection<UInt8>) throws(QMPError) {
        let value = try QMPValue(json: line)
        guard let members = value.objectValue else {
            throw QMPError.malformedMessage(QMPValue.excerpt(line))
        }
        if let result = members["return"] {
            self = .reply(id: members["id"], outcome: .success(result))
        } else if let error = members["error"] {
            self = .reply(
                id: members["id"],
                outcome: .failure(
                    errorClass: error["class"]?.stringValue ?? "(no class)",
                    message: error["desc"]?.stringValue ?? "(no description)"))
        } else if let name = members["event"]?.stringValue {
            let timestamp = members["timestamp"]
            self = .event(
                QMPEvent(
                    name: name,
                    data: members["data"]?.objectValue ?? [:],
                    seconds: timestamp?["seconds"]?.int64Value ?? 0,
                    microseconds: timestamp?["microseconds"]?.int64Value ?? 0))
        } else if members["QMP"] != nil {
            self = .greeting(try QMPGreeting(message: value, raw: line))
        } else {
            throw QMPError.malformedMessage(QMPValue.excerpt(line))
        }
    }
}
