import Crypto
import SEVKit

extension SimulatedGuest {
    /// ATTESTATION (SEV API 55766): a report of this launch, the owner's MNONCE, the launch
    /// digest and the policy, signed by the platform's PEK. The digest is final once the launch
    /// is measured, so the command is accepted in launch-secret and running.
    public func attestation(mnonce: [UInt8], platform: SimulatedPlatform) throws(SEVFirmwareStatus) -> SEVAttestationReport {
        guard state == .launchSecret || state == .running, let launchDigest else {
            throw .invalidGuestState("ATTESTATION needs state launch-secret or running, the guest is \(state.rawValue)")
        }
        guard mnonce.count == 16 else { throw .invalidLength("MNONCE: expected 16 bytes, got \(mnonce.count)") }
        do {
            let pek = try P384.Signing.PrivateKey(rawRepresentation: platform.keys.pek)
            return try SEVAttestationReport(mnonce: mnonce, launchDigest: launchDigest, policy: policy, pek: pek)
        } catch {
            throw .invalidParameter("the platform's PEK cannot sign: \(error)")
        }
    }
}
