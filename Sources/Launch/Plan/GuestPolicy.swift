import SEVKit

/// A launch policy, interpreted for the spec's SEV generation.
public enum GuestPolicy: Equatable, Hashable, Sendable {
    case sev(SEVGuestPolicy)
    case snp(SNPGuestPolicy)

    /// Lower-case hex as QEMU's `policy=` and libvirt's `<policy>` take it.
    public var hex: String {
        switch self {
        case .sev(let policy): policy.hex
        case .snp(let policy): policy.hex
        }
    }

    public var rawValue: UInt64 {
        switch self {
        case .sev(let policy): UInt64(policy.rawValue)
        case .snp(let policy): policy.rawValue
        }
    }

    /// The policy that launches use when a spec names none: NODBG for SEV, NODBG+ES for SEV-ES,
    /// and for SNP QEMU's own default 0x30000 (SMT allowed, reserved bit 17).
    public static func defaultPolicy(for type: ConfidentialType) -> GuestPolicy {
        switch type {
        case .sev: .sev(SEVGuestPolicy(rawValue: 0x1))
        case .sevES: .sev(SEVGuestPolicy(rawValue: 0x5))
        case .sevSNP: .snp(SNPGuestPolicy(rawValue: 0x30000))
        }
    }
}
