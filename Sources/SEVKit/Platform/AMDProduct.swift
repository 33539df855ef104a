/// An AMD EPYC product line, named the way AMD's Key Distribution Service names it.
///
/// The product decides which SEV generations the silicon can run and which ARK signs its
/// certificates, so the probe, the KDS URLs and certificate checks all key off this one type.
public enum AMDProduct: String, Sendable, CaseIterable, Codable {
    case naples = "Naples"
    case rome = "Rome"
    case milan = "Milan"
    case genoa = "Genoa"
    case turin = "Turin"

    /// The product of a CPU from its display family and model (CPUID leaf 1), or nil when
    /// the family/model is not an EPYC that supports SEV.
    ///
    /// Family 17h: Naples (models 00h–0Fh), Rome (30h–3Fh). Family 19h: Milan (00h–0Fh),
    /// Genoa (10h–1Fh) and its Bergamo (A0h–AFh) and Siena variants, which KDS serves under
    /// "Genoa". Family 1Ah: Turin (00h–1Fh).
    public init?(family: UInt32, model: UInt32) {
        switch (family, model) {
        case (0x17, 0x00...0x0f): self = .naples
        case (0x17, 0x30...0x3f): self = .rome
        case (0x19, 0x00...0x0f): self = .milan
        case (0x19, 0x10...0x1f), (0x19, 0xa0...0xaf): self = .genoa
        case (0x1a, 0x00...0x1f): self = .turin
        default: return nil
        }
    }

    /// The newest SEV generation the product's silicon implements.
    public var newestGeneration: SEVGeneration {
        switch self {
        case .naples: .sev
        case .rome: .es
        case .milan, .genoa, .turin: .snp
        }
    }
}

/// The three generations of AMD's confidential-VM technology; each includes the previous.
public enum SEVGeneration: String, Sendable, CaseIterable, Codable, Comparable {
    /// Secure Encrypted Virtualization: encrypted guest memory.
    case sev
    /// SEV-ES: encrypted register state as well.
    case es
    /// SEV-SNP: integrity (the reverse map table) and attestation reports.
    case snp

    public static func < (lhs: SEVGeneration, rhs: SEVGeneration) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .sev: 0
        case .es: 1
        case .snp: 2
        }
    }

    /// How people and the AMD documents write it.
    public var displayName: String {
        switch self {
        case .sev: "SEV"
        case .es: "SEV-ES"
        case .snp: "SEV-SNP"
        }
    }
}

/// Family, model and stepping decoded from CPUID leaf 1 EAX (the "display" values, with the
/// extended family and model folded in as the AMD manuals define).
public struct CPUSignature: Sendable, Equatable {
    public var family: UInt32
    public var model: UInt32
    public var stepping: UInt32

    public init(family: UInt32, model: UInt32, stepping: UInt32) {
        self.family = family
        self.model = model
        self.stepping = stepping
    }

    public init(leaf1EAX eax: UInt32) {
        let baseFamily = (eax >> 8) & 0xf
        let baseModel = (eax >> 4) & 0xf
        let extendedFamily = (eax >> 20) & 0xff
        let extendedModel = (eax >> 16) & 0xf
        family = baseFamily == 0xf ? baseFamily + extendedFamily : baseFamily
        // AMD folds in the extended model for family 0Fh only; Intel also for family 06h.
        // No AMD part with base family 06h has a non-zero extended model, so one rule serves.
        model = baseFamily == 0xf || baseFamily == 0x6 ? (extendedModel << 4) | baseModel : baseModel
        stepping = eax & 0xf
    }
}
