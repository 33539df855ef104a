import Orchestration

/// What the daemon holds in memory for a VM that has a QEMU process: never the source of
/// truth (the store is), only the handles that cannot be stored.
///
/// Two drivers run VMs: sevhostd's own QEMU children (`libvirt` nil: `pid` is QEMU's, exits are
/// seen by `waitpid` or polling, ends are signals) and libvirt domains (`libvirt` set: `pid` is a
/// token of this launch that no process has, exits arrive as domain events, ends go through
/// `virDomainDestroy`). Both speak `GuestChannel` for the launch itself.
struct LiveVM: Sendable {
    /// QEMU's pid, or for a libvirt domain this launch's token: what every step checks to know
    /// the VM it works on has not been stopped and started again meanwhile.
    var pid: Int32
    /// The host whose domain this is, for a VM run through libvirt.
    var libvirt: LibvirtLaunch? = nil
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
