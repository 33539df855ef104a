/// The `ASEV` metadata OVMF publishes for SEV-SNP launches (edk2 `OvmfSevMetadata.asm`).
///
/// It lists guest-physical ranges the VMM must prepare before the first instruction runs:
/// pre-validated zero pages, the secrets page, the CPUID page, the SVSM calling area and the
/// kernel-hashes page. Each becomes one or more SNP_LAUNCH_UPDATE calls, so each changes the
/// launch digest; a tool that skipped an unknown kind would print a wrong number.
public struct SEVMetadata: Sendable, Hashable {
    /// File offset of the `ASEV` header.
    public let offset: Int
    /// Header `version` field (1 is the only one defined).
    public let version: UInt32
    /// Sections in the order the firmware lists them (which is the order they are measured).
    public let sections: [SEVMetadataSection]

    public init(offset: Int, version: UInt32, sections: [SEVMetadataSection]) {
        self.offset = offset
        self.version = version
        self.sections = sections
    }

    /// `ASEV` as it appears in the image.
    public static let signature: [UInt8] = Array("ASEV".utf8)
    /// Bytes of the header: signature, size, version, item count.
    public static let headerSize = 16
    /// Bytes of one section descriptor: GPA, size, type (all `u32`).
    public static let sectionSize = 12
}

/// One range described by the SEV metadata.
public struct SEVMetadataSection: Sendable, Hashable {
    public let gpa: UInt32
    public let size: UInt32
    public let kind: SEVMetadataSectionKind

    public init(gpa: UInt32, size: UInt32, kind: SEVMetadataSectionKind) {
        self.gpa = gpa
        self.size = size
        self.kind = kind
    }
}

/// The section types OVMF and Coconut-SVSM define (edk2 `OvmfPkg/ResetVector`).
public enum SEVMetadataSectionKind: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Memory the firmware uses before it can validate pages itself: measured as zero pages
    /// (GCE marks them unmeasured).
    case snpSecureMemory = 1
    /// The SNP secrets page (VMPCKs), inserted by the PSP.
    case snpSecrets = 2
    /// The CPUID page the PSP checks and fills.
    case cpuid = 3
    /// The SVSM calling area: a zero page.
    case svsmCallingArea = 4
    /// The page QEMU fills with the SEV hashes table (or zeros without `-kernel`).
    case snpKernelHashes = 0x10

    /// The name edk2 gives the type, used in output and errors.
    public var description: String {
        switch self {
        case .snpSecureMemory: "SNP_SEC_MEM"
        case .snpSecrets: "SNP_SECRETS"
        case .cpuid: "CPUID"
        case .svsmCallingArea: "SVSM_CAA"
        case .snpKernelHashes: "SNP_KERNEL_HASHES"
        }
    }
}
