#if canImport(Glibc)
import Glibc
#endif

/// The boundaries between the steps of a start and an injection at which a test makes the
/// daemon die (`SEVHOSTD_CRASH_AT=NAME`, see sevhostd(8)), as a `kill -9` at that moment
/// would (`DaemonConfiguration.crashPoint`): each is a point where the journal and QEMU can disagree, and recovery must settle
/// every one against what QEMU reports. The path the daemon takes is the shipped one; the
/// checkpoint only ends it.
enum CrashPoint: String, CaseIterable, Sendable {
    // start
    case startRecorded = "start.recorded"
    case qemuSpawned = "start.spawned"
    case pidRecorded = "start.pid-recorded"
    case qmpConnected = "start.qmp-connected"
    case measured = "start.measured"
    case continueRecorded = "start.continue-recorded"
    case guestContinued = "start.continued"
    case startSettled = "start.settled"
    // inject
    case injectionRecorded = "inject.recorded"
    case secretInjected = "inject.injected"
    case secretInjectedRecorded = "inject.injected-recorded"
    case injectedGuestContinued = "inject.continued"
    case injectionSettled = "inject.settled"
}

extension VMSupervisor {
    /// Dies here, by SIGKILL, when the configuration names this point.
    func checkpoint(_ point: CrashPoint) {
        guard configuration.crashPoint == point.rawValue else { return }
        logger.critical("crash point reached: dying", metadata: ["point": "\(point.rawValue)"])
        kill(getpid(), SIGKILL)
    }
}
