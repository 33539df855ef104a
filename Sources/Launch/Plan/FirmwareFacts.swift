import BoundedFiles
import SEVKit

/// What the launch checks need to know about the OVMF image, and nothing else.
///
/// Kept as four booleans so that the checks do not depend on how the image is parsed: callers
/// read them from SEVKit's `OVMFImage` (`init(ovmf:)`, `init(firmwareAt:)`); tests state them.
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

extension FirmwareFacts {
    public init(ovmf: OVMFImage) {
        self.init(
            hasSEVMetadata: ovmf.hasSEVMetadata,
            supportsSEVES: ovmf.supportsSEVES,
            hasSEVHashTable: ovmf.sevHashTableLocation != nil,
            hasSNPKernelHashes: ovmf.hasSNPKernelHashes)
    }

    /// Reads and parses the image at `path` (the spec's `firmware.path`).
    public init(firmwareAt path: String) throws(LaunchError) {
        let data: [UInt8]
        do {
            data = try BoundedFile.read(path, .firmwareImage)
        } catch {
            throw .unreadableFile(field: "firmware.path", path: path, reason: error.problem)
        }
        do {
            self.init(ovmf: try OVMFImage(bytes: data))
        } catch {
            throw .invalidField(field: "firmware.path", problem: "\(path): \(error.description)")
        }
    }
}
