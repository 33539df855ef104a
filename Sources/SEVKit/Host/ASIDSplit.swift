/// How KVM divides the CPU's ASIDs between SEV, SEV-ES and SEV-SNP guests.
///
/// From Linux's `sev_hardware_setup` (arch/x86/kvm/svm/sev.c): CPUID 0x8000001F ECX is the
/// highest ASID and EDX the lowest one an SEV guest may use; SEV guests take
/// `[EDX, ECX]`, SEV-ES and SEV-SNP guests share `[1, EDX - 1]` (none when EDX is 1: the BIOS's
/// "SEV-ES ASID space limit" was left at its minimum). With ciphertext hiding (the kvm_amd
/// parameter `ciphertext_hiding_asids`, Linux 6.18 and later, on firmware that supports it) the
/// shared range is cut in two: SNP takes `[1, N]`, SEV-ES `[N + 1, EDX - 1]`.
///
/// libvirt's domain capabilities derive `maxGuests`/`maxESGuests` from CPUID alone, so they
/// miss the ciphertext-hiding split; this is KVM's own arithmetic.
public struct ASIDSplit: Sendable, Hashable {
    /// An inclusive ASID range; empty when `lower > upper`.
    public struct Range: Sendable, Hashable, CustomStringConvertible {
        public var lower: UInt32
        public var upper: UInt32
        public var count: UInt32 { lower > upper ? 0 : upper - lower + 1 }
        public var description: String { count == 0 ? "none" : "\(lower)-\(upper) (\(count))" }
    }

    public var sev: Range
    public var sevES: Range
    public var snp: Range
    /// The ciphertext-hiding ASIDs in effect; nil when the kernel has no such parameter.
    public var ciphertextHiding: UInt32?

    /// - Parameters:
    ///   - maxASID: CPUID 0x8000001F ECX.
    ///   - minSEVASID: CPUID 0x8000001F EDX.
    ///   - ciphertextHidingASIDs: /sys/module/kvm_amd/parameters/ciphertext_hiding_asids, when present.
    public init(maxASID: UInt32, minSEVASID: UInt32, ciphertextHidingASIDs: UInt32?) {
        let shared = Range(lower: 1, upper: minSEVASID > 0 ? minSEVASID - 1 : 0)
        sev = Range(lower: max(minSEVASID, 1), upper: maxASID)
        ciphertextHiding = ciphertextHidingASIDs
        if let hidden = ciphertextHidingASIDs, hidden > 0 {
            let snpUpper = min(hidden, shared.upper)
            snp = Range(lower: 1, upper: snpUpper)
            sevES = Range(lower: snpUpper + 1, upper: shared.upper)
        } else {
            snp = shared
            sevES = shared
        }
    }

    /// The range a guest of `generation` takes its ASID from.
    public func range(for generation: SEVGeneration) -> Range {
        switch generation {
        case .sev: sev
        case .es: sevES
        case .snp: snp
        }
    }

    /// `SEV 100-509 (410); SEV-ES 1-99 (99); SEV-SNP 1-99 (99)`, with the SEV-ES and SNP
    /// ranges marked shared when they are.
    public var summary: String {
        let shared = sevES == snp && sevES.count > 0
        var text = "SEV \(sev); SEV-ES \(sevES); SEV-SNP \(snp)"
        if shared { text += ", SEV-ES and SEV-SNP share theirs" }
        if let ciphertextHiding { text += "; ciphertext hiding \(ciphertextHiding == 0 ? "off" : "\(ciphertextHiding) ASIDs")" }
        return text
    }
}
