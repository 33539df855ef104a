import Orchestration

/// QEMU's `SHUTDOWN` event: it is about to exit, and says why.
///
/// For a QEMU this daemon started, the exit status says much of this too; for one found again
/// after a restart, which is not our child, the event is the only account there is. `guest`
/// is true when the guest asked (it powered off); otherwise the host did (`host-signal`: a
/// SIGTERM, SIGINT or SIGHUP; `host-qmp-quit`: `quit` on a QMP socket).
struct QEMUShutdown: Sendable, Equatable {
    var guest: Bool
    var reason: String

    init(guest: Bool, reason: String) {
        self.guest = guest
        self.reason = reason
    }

    init(event: GuestEvent) {
        guest = event.flags["guest"] ?? false
        reason = event.strings["reason"] ?? "unknown"
    }

    /// Whether an exit after this event is an orderly one: QEMU exited with status 0 or, for a
    /// process we cannot wait for, simply went. A QEMU killed by a signal after announcing a
    /// shutdown (a crash on the way out) did not end cleanly.
    func endsCleanly(_ status: ExitStatus) -> Bool {
        status.isClean || status == .unknown
    }
}
