import QMP
import SEVKit

/// What to do with a guest whose launch does not check out.
public enum MismatchAction: String, Sendable, CaseIterable {
    /// Leave it paused, for inspection (nothing was injected, so it has no secret).
    case keep
    /// Ask QEMU to quit.
    case quit
}

/// The result of a successful pre-attestation.
public struct AttestationOutcome: Sendable, Equatable {
    public var measurement: LaunchMeasurement
    public var apiMajor: UInt8
    public var apiMinor: UInt8
    public var buildID: UInt8
    public var policy: UInt32
    /// Size of the encrypted secret handed to the firmware.
    public var injectedBytes: Int
}

/// The scripted pre-attestation flow, fail-closed:
///
/// 1. `query-sev`: an SEV/SEV-ES guest in state `launch-secret` launched with the expected policy;
/// 2. `query-sev-launch-measure`: measurement ‖ MNONCE, whose MNONCE must not be in the replay log;
/// 3. the expected HMAC from the TIK, the firmware API version/build `query-sev` reported, the
///    policy and the expected launch digest, compared in constant time;
/// 4. only then: record the MNONCE, build the secret packet (bound to this measurement),
///    `sev-inject-launch-secret`, and `cont`.
///
/// Any refusal happens before step 4, so nothing reaches the guest; the guest is left paused,
/// or told to quit with `.quit`.
public struct PreAttestation: Sendable {
    public var tek: [UInt8]
    public var tik: [UInt8]
    public var expected: ExpectedLaunch
    public var secrets: [SecretTable.Entry]
    public var onMismatch: MismatchAction
    public var nonceLog: MNONCELog
    /// Where the secret goes; nil lets QEMU take the secret area from the firmware's footer
    /// table (OVMF AmdSev builds publish one, Debian's generic OVMF does not).
    public var guestPhysicalAddress: UInt64?

    public init(
        tek: [UInt8], tik: [UInt8], expected: ExpectedLaunch, secrets: [SecretTable.Entry], onMismatch: MismatchAction,
        nonceLog: MNONCELog, guestPhysicalAddress: UInt64? = nil
    ) {
        self.guestPhysicalAddress = guestPhysicalAddress
        self.tek = tek
        self.tik = tik
        self.expected = expected
        self.secrets = secrets
        self.onMismatch = onMismatch
        self.nonceLog = nonceLog
    }

    public func run(on channel: some GuestChannel) async throws(AttestationError) -> AttestationOutcome {
        do {
            return try await attest(channel)
        } catch let error where error.isRefusal && onMismatch == .quit {
            try? await channel.quit(timeout: nil)
            throw error
        }
    }

    private func attest(_ channel: some GuestChannel) async throws(AttestationError) -> AttestationOutcome {
        let verified = try await Self.verify(channel, expected: expected, tik: tik, nonceLog: nonceLog)
        // Build the packet and check where it can go before touching the log, so a refusal
        // before anything reaches QEMU burns nothing and the same launch can be attested again.
        let packet: LaunchSecretPacket
        do {
            packet = try LaunchSecretPacket(
                table: SecretTable(entries: secrets), tek: tek, tik: tik,
                measurement: verified.measurement.measurement, iv: LaunchSecretPacket.randomIV())
        } catch {
            throw .secret(error.description)
        }
        if guestPhysicalAddress == nil {
            switch expected.secretArea {
            case .unknown: break
            case .absent:
                throw .secret("the expected firmware has no SEV secret area (Debian's OVMF publishes none), so QEMU needs an address: give --gpa; nothing was sent")
            case .present(let area) where packet.payload.count > Int(area.size):
                throw .secret("\(packet.payload.count) bytes do not fit the firmware's \(area.size)-byte secret area; nothing was sent")
            case .present: break
            }
        }
        try nonceLog.record(verified.measurement.mnonce)
        try await channel.injectAndResume(header: packet.header, payload: packet.payload, guestPhysicalAddress: guestPhysicalAddress)
        return AttestationOutcome(
            measurement: verified.measurement, apiMajor: verified.info.apiMajor, apiMinor: verified.info.apiMinor,
            buildID: verified.info.buildID, policy: expected.policy, injectedBytes: packet.payload.count)
    }

    /// Steps 1 to 3: what the guest reports, checked against the expectation. Also used by
    /// `attest inject` for its state check.
    public static func verify(
        _ channel: some GuestChannel, expected: ExpectedLaunch, tik: [UInt8], nonceLog: MNONCELog
    ) async throws(AttestationError) -> (info: SEVInfo, measurement: LaunchMeasurement) {
        let reading: LaunchReading
        do {
            reading = try await channel.launchReading()
        } catch {
            throw .channel(error)
        }
        let info = reading.info
        try check(info)
        guard info.policy == UInt64(expected.policy) else {
            throw .policyMismatch(expected: expected.policy, found: info.policy)
        }
        let blob: [UInt8]
        do {
            blob = try await reading.measurement()
        } catch {
            throw .channel(error)
        }
        let measurement: LaunchMeasurement
        do {
            measurement = try LaunchMeasurement(blob: blob, name: "query-sev-launch-measure data")
        } catch {
            throw .malformedMeasurement(error.description)
        }
        if let firstSeen = try nonceLog.firstSeen(measurement.mnonce) {
            throw .replayedMeasurement(mnonce: Hex.encode(measurement.mnonce), firstSeen: firstSeen)
        }
        let wanted = LaunchMeasurement.expected(
            tik: tik, apiMajor: info.apiMajor, apiMinor: info.apiMinor, buildID: info.buildID,
            policy: expected.policy, launchDigest: expected.launchDigest, mnonce: measurement.mnonce)
        guard wanted.matches(measurement) else { throw .measurementMismatch }
        return (info, measurement)
    }

    /// `query-sev`, checked for an SEV/SEV-ES guest waiting in `launch-secret`.
    public static func sevInfo(_ channel: some GuestChannel) async throws(AttestationError) -> SEVInfo {
        let info: SEVInfo
        do {
            info = try await channel.launchInfo()
        } catch {
            throw .channel(error)
        }
        try check(info)
        return info
    }

    /// An SEV/SEV-ES guest waiting in `launch-secret`, or the refusal.
    private static func check(_ info: SEVInfo) throws(AttestationError) {
        guard info.enabled else { throw .notSEV("query-sev reports SEV disabled") }
        guard case .sev = info.guest else { throw .notSEV("an SEV-SNP guest is attested from inside the guest") }
        guard info.state == .launchSecret else { throw .wrongState(found: info.state.rawValue) }
    }
}
