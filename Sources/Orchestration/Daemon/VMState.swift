/// Where a VM kept by sevhostd is in its life.
///
/// ```
/// defined → starting → awaiting-secret → running → stopped
///              │             │              │
///              └──────→ failed ←────────────┘     (stopped and failed VMs can be started again)
/// ```
///
/// `awaiting-secret` is the pre-attestation gate: QEMU is paused, the launch measurement has
/// been read and kept, and the guest runs only once the guest owner's secret is injected. A
/// VM without pre-attestation (SEV-SNP, or `pre-attestation: false`) goes from `starting`
/// straight to `running`.
public enum VMState: String, Codable, Sendable, CaseIterable {
    case defined
    case starting
    case awaitingSecret = "awaiting-secret"
    case running
    case stopped
    case failed

    /// States in which a QEMU process belongs to the VM.
    public var hasProcess: Bool {
        switch self {
        case .starting, .awaitingSecret, .running: true
        case .defined, .stopped, .failed: false
        }
    }

    /// States from which `start` may launch QEMU.
    public var canStart: Bool {
        switch self {
        case .defined, .stopped, .failed: true
        case .starting, .awaitingSecret, .running: false
        }
    }
}
