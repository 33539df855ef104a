/// One entry of a VM's history: a state change, a QMP event QEMU sent, or a daemon action.
/// Sequence numbers are the daemon's, increasing over all VMs, so a client asks for what
/// happened after the last one it saw (`?after=SEQ`).
public struct VMEvent: Codable, Sendable, Equatable {
    public var seq: Int64
    public var vm: String
    /// RFC 3339 UTC with milliseconds.
    public var time: String
    /// `state` (a transition), `qmp` (an event from QEMU, `message` is its name) or `action`.
    public var kind: String
    /// The state entered, for `state` events.
    public var state: VMState?
    public var message: String

    public init(seq: Int64, vm: String, time: String, kind: String, state: VMState?, message: String) {
        self.seq = seq
        self.vm = vm
        self.time = time
        self.kind = kind
        self.state = state
        self.message = message
    }
}

/// `GET /v1/vms/{name}/events` and `GET /v1/events`.
public struct VMEventList: Codable, Sendable, Equatable {
    public var events: [VMEvent]
    /// The highest sequence number the daemon has handed out so far: the `after` for the next poll.
    public var last: Int64

    public init(events: [VMEvent], last: Int64) {
        self.events = events
        self.last = last
    }
}
