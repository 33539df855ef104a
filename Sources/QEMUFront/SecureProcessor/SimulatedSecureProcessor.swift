import QMP

/// A QMP command that only SEV hardware can answer, as a client sent it.
public struct HardwareRequest: Sendable {
    public var command: String
    /// The request's `arguments` (empty when absent or not an object: QEMU then refuses the
    /// request itself, and its reply stands).
    public var arguments: QMPValue.Object

    public init(command: String, arguments: QMPValue.Object) {
        self.command = command
        self.arguments = arguments
    }
}

/// A reply as QEMU gave it on the monitor.
public enum QMPOutcome: Sendable, Equatable {
    case success(QMPValue)
    case failure(errorClass: String, description: String)
}

/// The reply the simulated AMD-SP gives in QEMU's place, in QEMU's shape.
public enum SecureProcessorAnswer: Sendable, Equatable {
    case success(QEMUJSON)
    /// A `GenericError` with QEMU's description.
    case failure(String)
}

/// The simulated AMD Secure Processor as the front sees it: what the SEV hardware adds to the
/// QEMU it stands in front of.
///
/// This is the seam for each kind of confidential guest. The front (argv, process, QMP proxy)
/// does not know which kind it runs; a conformer says
/// - which QMP commands only the hardware can answer (`hardwareCommands`): the front sends each
///   to QEMU, tagged, so that QEMU checks its arguments (and its `id`, and OOB rules) exactly as
///   for any command, and replies in order; then it asks `answer` whether the hardware's reply
///   replaces QEMU's;
/// - which further commands QEMU must answer first (`companionCommands`, e.g. the guest memory
///   map behind `sev-inject-launch-secret`'s address check);
/// - what happens when the guest starts to run (`guestStarts`: LAUNCH_FINISH, or a failure
///   that ends QEMU as the real one ends);
/// - and, before any client is served, the launch itself (each conformer's own `launch`, run
///   by the runtime once QEMU has built the machine).
///
/// SEV and SEV-ES are `SEVSecureProcessor`. SEV-SNP is another conformer behind the same front:
/// its launch (SNP_LAUNCH_START/UPDATE from the OVMF metadata, the VMSAs), its answers to the
/// same five commands as QEMU 10 gives them for an `sev-snp-guest`, and SNP_LAUNCH_FINISH with
/// the ID block checks in `guestStarts`. `SecureProcessorFactory` picks the conformer from the
/// argv's confidential-guest object; adding SNP is adding its case there.
///
/// Conformers are used on the front's single event loop only (hence Sendable: the loop
/// serialises them, as `FrontContext` says).
public protocol SimulatedSecureProcessor: AnyObject, Sendable {
    /// The launch, from QEMU's start to the machine-done point where QEMU first greets a
    /// client; throws the failure with which the real QEMU exits.
    func launch(_ facts: QEMUGuestFacts) throws(QEMUFailure)
    /// A few words on the launched guest for sevhost-sim's log ("SEV-ES guest measured, state
    /// launch-secret"), nil when there is no confidential guest.
    var launchSummary: String? { get }
    var hardwareCommands: Set<String> { get }
    func companionCommands(for request: HardwareRequest) -> [QEMUJSON]
    /// The hardware's reply where QEMU (without the hardware) replied `qemu`; nil keeps QEMU's.
    func answer(_ request: HardwareRequest, qemu: QMPOutcome, companions: [QMPOutcome]) -> SecureProcessorAnswer?
    /// QEMU's VM state change to running (QEMU emits `RESUME` first): nil, or the failure with
    /// which the real QEMU exits.
    func guestStarts() -> QEMUFailure?
}

/// QEMU 10's SEV QMP commands (qapi/misc-target.json), the ones the hardware answers.
public enum SEVQMPCommand {
    public static let querySEV = "query-sev"
    public static let launchMeasure = "query-sev-launch-measure"
    public static let capabilities = "query-sev-capabilities"
    public static let attestationReport = "query-sev-attestation-report"
    public static let injectLaunchSecret = "sev-inject-launch-secret"

    public static let all: Set<String> = [querySEV, launchMeasure, capabilities, attestationReport, injectLaunchSecret]
}
