import SEVKit

/// Why `attest` refused or failed. Every refusal names its reason in one line, because these
/// lines end up in guest owners' logs; none carries key or secret bytes.
public enum AttestationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expected launch could not be computed (spec, firmware, digest text).
    case expectation(String)
    /// `query-sev` says this is not an SEV/SEV-ES guest.
    case notSEV(String)
    /// The guest is not waiting for a secret.
    case wrongState(found: String)
    /// The guest was launched with another policy than the one expected.
    case policyMismatch(expected: UInt32, found: UInt64)
    /// The MNONCE of this measurement was seen before: an old measurement is being replayed.
    case replayedMeasurement(mnonce: String, firstSeen: String)
    /// The measurement's HMAC is not the one the expected launch and the TIK give.
    case measurementMismatch
    /// `query-sev-launch-measure` returned something that is not measurement ‖ MNONCE.
    case malformedMeasurement(String)
    /// The secret could not be built.
    case secret(String)
    /// The replay log could not be read or written.
    case nonceLog(String)
    /// The bundle or answer file is unusable.
    case bundle(String)
    /// The guest's current measurement is not the bundle's: the answer is for another launch.
    case bundleMismatch
    /// The guest's channel failed (connection, timeout, or an error reply other than the injection's).
    case channel(GuestChannelError)
    /// The firmware (through QEMU) refused the secret.
    case injectionRefused(GuestChannelError)

    /// True when nothing reached the guest because sevhost itself refused (as opposed to a
    /// transport failure, after which the guest's state is unknown).
    public var isRefusal: Bool {
        switch self {
        case .wrongState, .policyMismatch, .replayedMeasurement, .measurementMismatch, .notSEV, .malformedMeasurement,
             .bundleMismatch: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .expectation(let text): "expected launch: \(text)"
        case .notSEV(let text): "refused: not an SEV guest: \(text)"
        case .wrongState(let found): "refused: wrong state: the guest is in state '\(found)', a secret can only be injected in 'launch-secret'"
        case .policyMismatch(let expected, let found):
            "refused: policy mismatch: the guest was launched with policy 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16))"
        case .replayedMeasurement(let mnonce, let firstSeen):
            "refused: replayed measurement: MNONCE \(mnonce) was already seen (\(firstSeen)); a fresh launch has a fresh MNONCE"
        case .measurementMismatch:
            "refused: measurement mismatch: the launch measurement is not the one the expected firmware, policy, firmware API version and TIK give"
        case .malformedMeasurement(let text): "refused: malformed measurement: \(text)"
        case .secret(let text): "secret: \(text)"
        case .nonceLog(let text): "MNONCE log: \(text)"
        case .bundle(let text): text
        case .bundleMismatch: "refused: the guest's measurement is not the one in the bundle: the answer is for another launch"
        case .channel(let error): "\(error.transport): \(error)"
        case .injectionRefused(let error): "the secret was refused: \(error)"
        }
    }
}
