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

extension GuestChannel {
    /// Injects the secret and lets the guest run: the end of every pre-attestation, one way.
    /// A firmware refusal leaves the guest paused; only then is `cont` sent.
    func injectAndResume(header: [UInt8], payload: [UInt8], guestPhysicalAddress: UInt64?) async throws(AttestationError) {
        do {
            try await injectLaunchSecret(header: header, payload: payload, guestPhysicalAddress: guestPhysicalAddress)
        } catch {
            throw .injectionRefused(error)
        }
        do {
            try await resume()
        } catch {
            throw .channel(error)
        }
    }
}
