import SEVKit

/// Firmware images and VMSA pages, as `digest`, `vmsa`, `launch` and the simulators read them.
enum FirmwareTargets {
    static let table = SEVHashTable(
        kernelHash: [UInt8](repeating: 1, count: 32), initrdHash: [UInt8](repeating: 2, count: 32),
        cmdlineHash: [UInt8](repeating: 3, count: 32))

    static func ovmf(_ input: UnsafeRawBufferPointer) {
        guard let image = try? OVMFImage(bytes: input.bytes) else { return }
        _ = (image.hasSEVMetadata, image.supportsSEVES, image.sevHashTableLocation, image.sevSecretLocation, image.hasSNPKernelHashes)
        let signature = VCPUType.signature(family: 25, model: 1, stepping: 1)
        for hashTable in [nil, table] {
            _ = try? LaunchDigest.sev(firmware: image, hashTable: hashTable)
            for vmType in SEVVMType.allCases {
                _ = try? LaunchDigest.sevES(firmware: image, hashTable: hashTable, vcpus: 2, vcpuSignature: signature, vmType: vmType)
            }
            _ = try? LaunchDigest.snp(firmware: image, hashTable: hashTable, vcpus: 2, vcpuSignature: signature, guestFeatures: 1)
        }
        _ = try? LaunchDigest.snpOVMFHash(firmware: image)
    }

    static func vmsa(_ input: UnsafeRawBufferPointer) {
        _ = try? VMSALayout.json(page: input.bytes, extended: false)
        _ = try? VMSALayout.json(page: input.bytes, extended: true)
    }
}
