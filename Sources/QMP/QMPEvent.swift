/// An asynchronous event (`{"event": NAME, "data": {...}, "timestamp": {...}}`).
public struct QMPEvent: Sendable, Hashable {
    /// The event name, e.g. `STOP`, `RESUME`, `SHUTDOWN`.
    public var name: String
    /// The event's `data` member (empty when the event has none).
    public var data: QMPValue.Object
    /// When QEMU emitted it, as seconds and microseconds since the epoch (host clock).
    public var seconds: Int64
    public var microseconds: Int64

    public init(name: String, data: QMPValue.Object = [:], seconds: Int64 = 0, microseconds: Int64 = 0) {
        self.name = name
        self.data = data
        self.seconds = seconds
        self.microseconds = microseconds
    }
}
