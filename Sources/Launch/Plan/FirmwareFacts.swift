/// What the launch checks need to know about the OVMF image, and nothing else.
///
/// Kept as four booleans so that the checks do not depend on how the image is parsed: the
/// CLI fills them from SEVKit's `OVMFImage` (see `init(ovmf:)` when available); tests state them.
///
/// Mapping from `OVMFImage`:
/// - `hasSEVMetadata`    ← `OVMFImage.hasSEVMetadata` (an SEV metadata section: required by SNP)
/// - `supportsSEVES`     ← `OVMFImage.supportsSEVES` (the SEV-ES AP reset block is present)
/// - `hasSEVHashTable`   ← `OVMFImage.sevHashTableLocation != nil` (QEMU writes kernel hashes there)
/// - `hasSNPKernelHashes`← `OVMFImage.hasSNPKernelHashes` (an SNP_KERNEL_HASHES metadata section)
public struct FirmwareFacts: Equatable, Hashable, Sendable {
    public var hasSEVMetadata: Bool
    public var supportsSEVES: Bool
    public var hasSEVHashTable: Bool
    public var hasSNPKernelHashes: Bool

    public init(hasSEVMetadata: Bool, supportsSEVES: Bool, hasSEVHashTable: Bool, hasSNPKernelHashes: Bool) {
        self.hasSEVMetadata = hasSEVMetadata
        self.supportsSEVES = supportsSEVES
        self.hasSEVHashTable = hasSEVHashTable
        self.hasSNPKernelHashes = hasSNPKernelHashes
    }
}
