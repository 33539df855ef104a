/// A launch digest cannot be computed because the inputs could not produce a real launch.
///
/// The rule behind every case: print an error, never a number no PSP would ever produce.
/// Messages say what the firmware lacks and what to use instead; the caller adds the file name.
public enum LaunchDigestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The image carries no `ASEV` SEV metadata (nor, for SEV and SEV-ES, an SEV hashes table or
    /// secret area), so it was not built for SEV guests.
    case noSEVMetadata
    /// SEV-ES and SNP need the SEV-ES reset block to start vCPUs.
    case noSEVESResetBlock
    /// A kernel was given, but the firmware has no SEV hashes table (or its GPA is zero).
    case noHashTable
    /// The firmware's hashes-table area is smaller than QEMU's padded table.
    case hashTableTooSmall(GuestMemoryRange)
    /// A kernel was given under SNP, but the SEV metadata has no SNP_KERNEL_HASHES page.
    case noSNPKernelHashes
    /// The SNP_KERNEL_HASHES section cannot hold the hashes table as QEMU places it.
    case badKernelHashesSection(gpa: UInt32, size: UInt32, tableGPA: UInt32)
    /// A size or address that SNP measures page by page is not page-aligned.
    case notPageAligned(what: String, value: UInt64)
    /// vCPU count outside 1...`LaunchDigest.maximumVCPUs`.
    case invalidVCPUCount(Int)
    /// `--snp-ovmf-hash` must be 48 bytes.
    case invalidOVMFHashLength(Int)
    /// The SVSM image lacks the SVSM information entry (its entry point).
    case noSVSMInfo
    /// The SVSM image does not fit below the firmware and its variable store.
    case svsmPlacement(String)

    public var description: String {
        switch self {
        case .noSEVMetadata:
            return "firmware carries no SEV metadata (footer table entry \(OVMFFooterGUID.sevMetadata)): it was not built for SEV guests; use an OVMF build with SEV support (e.g. Debian's 2 MiB OVMF_CODE.fd or an AmdSev build)"
        case .noSEVESResetBlock:
            return "firmware has no SEV-ES reset block (footer table entry \(OVMFFooterGUID.sevESResetBlock)), so it cannot start SEV-ES or SNP vCPUs"
        case .noHashTable:
            return "a kernel was given but the firmware has no SEV hashes table (footer table entry \(OVMFFooterGUID.sevHashTable) absent or at GPA 0): it cannot measure kernel, initrd and command line; use an AmdSev OVMF build"
        case .hashTableTooSmall(let range):
            return "firmware's SEV hashes table area \(range) is smaller than the \(SEVHashTable.paddedSize)-byte table QEMU writes"
        case .noSNPKernelHashes:
            return "a kernel was given but the firmware's SEV metadata has no SNP_KERNEL_HASHES section: it cannot measure kernel, initrd and command line under SNP; use an AmdSev OVMF build"
        case .badKernelHashesSection(let gpa, let size, let tableGPA):
            return "SNP_KERNEL_HASHES section 0x\(String(gpa, radix: 16))+0x\(String(size, radix: 16)) must be one page holding the hashes table at 0x\(String(tableGPA, radix: 16))"
        case .notPageAligned(let what, let value):
            return "\(what) 0x\(String(value, radix: 16)) is not a multiple of 4096"
        case .invalidVCPUCount(let count):
            return "vCPU count must be from 1 to \(LaunchDigest.maximumVCPUs), got \(count)"
        case .invalidOVMFHashLength(let count):
            return "SNP OVMF hash must be 48 bytes (96 hex digits), got \(count) bytes"
        case .noSVSMInfo:
            return "SVSM image has no SVSM info entry (footer table entry \(OVMFFooterGUID.svsmInfo)) giving its entry point"
        case .svsmPlacement(let reason):
            return "SVSM image cannot be placed: \(reason)"
        }
    }
}
