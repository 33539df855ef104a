import Orchestration

/// What the daemon holds in memory for a VM that has a QEMU process: never the source of
/// truth (the store is), only the handles that cannot be stored.
struct LiveVM: Sendable {
    var pid: Int32
    /// Whether this daemon started the process (it can `waitpid` it). A VM found again after a
    /// restart is not its child: its end is seen by polling the pid and the QMP connection.
    var isChild: Bool
    /// The guest's QMP connection, once made.
    var channel: (any GuestChannel)?
    var eventPump: Task<Void, Never>?
    var escalation: Task<Void, Never>?
    /// When `start` was asked, for the launch-time histogram.
    var startedAt: ContinuousClock.Instant?
}
