/// Where a guest is in the SEV firmware's launch state machine (SEV API 55766, "Guest
/// States"), with QEMU's names for them (QAPI `SevState`).
public enum SimulatedGuestState: String, Sendable, Hashable {
    case uninit = "uninit"
    /// LUPDATE: LAUNCH_START done, LAUNCH_UPDATE_* accepted.
    case launchUpdate = "launch-update"
    /// LSECRET: measured; LAUNCH_SECRET accepted until LAUNCH_FINISH.
    case launchSecret = "launch-secret"
    /// RUNNING: LAUNCH_FINISH done.
    case running = "running"
}
