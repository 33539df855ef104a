import QMP

/// The control channel of one running guest: how sevhost reads a launch's state and
/// measurement, hands the guest owner's secret to the firmware, lets the guest run, and hears
/// what happens to it.
///
/// A QEMU's monitor socket (`QMPGuestChannel`) is the transport today; a libvirt domain will be
/// another type conforming here, and the flows built on this protocol (the pre-attestation in
/// `PreAttestation`, the bundle and answer of the two-party flow, the daemon's supervision) will
/// drive it unchanged. The launch facts keep QEMU's shapes (`SEVInfo`, `SEVCapabilities`): they
/// are what the firmware reports, whichever process relays it.
public protocol GuestChannel: Sendable {
    /// Everything the guest's VMM reports, in order, for one consumer.
    var events: AsyncStream<GuestEvent> { get }
    /// The firmware's view of the launch: API version, policy, state (`query-sev`).
    func launchInfo() async throws(GuestChannelError) -> SEVInfo
    /// LAUNCH_MEASURE's answer: measurement ‖ MNONCE (`query-sev-launch-measure`).
    func launchMeasurement() async throws(GuestChannelError) -> [UInt8]
    /// `launchInfo`, and the measurement of the same launch, for one verification. A transport
    /// whose one call answers both (libvirt's `virDomainGetLaunchSecurityInfo`) makes it once;
    /// the default reads the measurement only when asked.
    func launchReading() async throws(GuestChannelError) -> LaunchReading
    /// The platform's PDH and certificate chain (`query-sev-capabilities`).
    func platformCertificates() async throws(GuestChannelError) -> SEVCapabilities
    /// LAUNCH_SECRET (`sev-inject-launch-secret`); a refusal is `isCommandRefusal`.
    func injectLaunchSecret(header: [UInt8], payload: [UInt8], guestPhysicalAddress: UInt64?) async throws(GuestChannelError)
    /// Whether the guest's vCPUs run (`query-status`).
    func isRunning() async throws(GuestChannelError) -> Bool
    /// Lets a paused guest run (`cont`).
    func resume() async throws(GuestChannelError)
    /// Asks the VMM to end (`quit`), waiting at most `timeout` for it to acknowledge.
    func quit(timeout: Duration?) async throws(GuestChannelError)
    /// Closes the channel; idempotent.
    func close() async
}

/// One verification's view of a launch: the firmware's facts, and the measurement, taken
/// only after those facts were checked (a guest in the wrong state is refused for its state,
/// whatever its measurement would have said).
public struct LaunchReading: Sendable {
    public var info: SEVInfo
    /// Reads, or hands out what was read with `info`; never a reading of another verification.
    public var measurement: @Sendable () async throws(GuestChannelError) -> [UInt8]

    public init(info: SEVInfo, measurement: @escaping @Sendable () async throws(GuestChannelError) -> [UInt8]) {
        self.info = info
        self.measurement = measurement
    }
}

extension GuestChannel {
    /// `launchInfo` now, `launchMeasurement` when asked: two commands, as over QMP.
    public func launchReading() async throws(GuestChannelError) -> LaunchReading {
        let info = try await launchInfo()
        return LaunchReading(info: info) { () throws(GuestChannelError) -> [UInt8] in try await self.launchMeasurement() }
    }
}

/// A transport failed, or the VMM refused a command.
public struct GuestChannelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `QMP`, later `libvirt`: said before the message in the flows' errors.
    public var transport: String
    /// One line, the transport's own words.
    public var message: String
    /// The VMM answered and refused the command (as opposed to a lost connection or a timeout,
    /// after which the guest's state is unknown).
    public var isCommandRefusal: Bool

    public var description: String { message }
}

/// One event of the guest's VMM: `SHUTDOWN`, `RESUME`, `STOP`, …
public struct GuestEvent: Sendable, Hashable {
    public var name: String
    /// The event's data as compact JSON, empty when it has none: for logs.
    public var details: String
    /// The data's top-level booleans and strings, for the few that flows read (`SHUTDOWN`'s
    /// `guest` and `reason`).
    public var flags: [String: Bool]
    public var strings: [String: String]
}

/// Where an injection has got to, told to a caller that keeps a journal of it (sevhostd writes
/// each step down before it goes on, so a restart knows what may have happened).
public enum InjectionStep: Sendable, Equatable {
    /// About to send the secret.
    case injecting
    /// The VMM accepted it; about to continue the guest.
    case injected
    /// The guest was continued.
    case continued
}

extension GuestChannel {
    /// Injects the secret and lets the guest run: the end of every pre-attestation, one way.
    /// A firmware refusal leaves the guest paused; only then is `cont` sent. `journal` hears
    /// each step as it is reached.
    func injectAndResume(
        header: [UInt8], payload: [UInt8], guestPhysicalAddress: UInt64?,
        journal: @Sendable (InjectionStep) async -> Void = { _ in }
    ) async throws(AttestationError) {
        await journal(.injecting)
        do {
            try await injectLaunchSecret(header: header, payload: payload, guestPhysicalAddress: guestPhysicalAddress)
        } catch {
            throw .injectionRefused(error)
        }
        await journal(.injected)
        do {
            try await resume()
        } catch {
            throw .channel(error)
        }
        await journal(.continued)
    }
}

/// A guest's launch as its VMM reports it right now (`query-status` and `query-sev`): what a
/// restarted sevhostd reconciles its records with.
public struct GuestLaunchState: Sendable, Equatable {
    /// The vCPUs run.
    public var running: Bool
    /// The firmware's launch state of an SEV or SEV-ES guest (`launch-secret`, `running`…);
    /// nil for a guest without SEV, or an SEV-SNP one (whose launch has no secret gate).
    public var sevState: String?

    public init(running: Bool, sevState: String?) {
        self.running = running
        self.sevState = sevState
    }

    /// Measured and paused at the pre-attestation gate: an SEV/SEV-ES guest in `launch-secret`
    /// whose vCPUs have not run.
    public var awaitsSecret: Bool { !running && sevState == SEVGuestState.launchSecret.rawValue }
}

extension GuestChannel {
    /// Reads `GuestLaunchState`. `query-sev` failing (no SEV in this guest) is not an error:
    /// the state just has no SEV part.
    public func launchState() async throws(GuestChannelError) -> GuestLaunchState {
        let running = try await isRunning()
        var sevState: String?
        if let info = try? await launchInfo(), info.enabled, case .sev = info.guest { sevState = info.state.rawValue }
        return GuestLaunchState(running: running, sevState: sevState)
    }
}
