import Crypto

/// The result of a launch-digest computation: the digest and the VMSA pages it measured
/// (one per vCPU, in launch order; empty for SEV), for `--dump-vmsa`.
public struct LaunchDigestResult: Sendable {
    public let digest: [UInt8]
    public let vmsaPages: [[UInt8]]

    public init(digest: [UInt8], vmsaPages: [[UInt8]]) {
        self.digest = digest
        self.vmsaPages = vmsaPages
    }
}

/// Launch digests as the PSP computes them for SEV, SEV-ES and SEV-SNP guests launched by QEMU
/// (and, for SNP, EC2 and GCE).
///
/// Inputs are what the guest owner knows: the firmware, the SEV hashes table when the VMM boots
/// a kernel directly, the vCPU count and signature. File hashing happens outside (the table
/// takes digests), so multi-GiB initrds never pass through here.
public enum LaunchDigest {
    /// OVMF is mapped so that it ends at 4 GiB.
    public static let firmwareEnd: UInt64 = 0x1_0000_0000

    /// The most vCPUs a guest can have: QEMU's and KVM's x86 maximum (KVM_MAX_VCPUS with
    /// CONFIG_MAXSMP). Every vCPU count from a flag or a spec is checked against it before a
    /// VMSA is built, so a count can cost at most 4096 pages.
    public static let maximumVCPUs = 4096

    /// `vcpus` checked against 1...`maximumVCPUs`.
    public static func checkVCPUCount(_ vcpus: Int) throws(LaunchDigestError) {
        guard (1...maximumVCPUs).contains(vcpus) else { throw .invalidVCPUCount(vcpus) }
    }

    /// SEV: SHA-256 over the firmware and, with a kernel, the padded hashes table.
    public static func sev(firmware: OVMFImage, hashTable: SEVHashTable?) throws(LaunchDigestError) -> [UInt8] {
        guard isSEVFirmware(firmware) else { throw .noSEVMetadata }
        var hasher = SHA256()
        firmware.bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        if let hashTable {
            hasher.update(data: try measuredHashTable(firmware: firmware, table: hashTable))
        }
        return Array(hasher.finalize())
    }

    /// SEV-ES: SHA-256 over the firmware, the padded hashes table (with a kernel) and one VMSA per vCPU.
    ///
    /// - Parameter vmType: how KVM created the VM, which decides the VMSAs' x87/SSE state
    ///   (`SEVVMType`); it has no default because QEMU's own differs from sev-snp-measure's.
    public static func sevES(
        firmware: OVMFImage, hashTable: SEVHashTable?, vcpus: Int, vcpuSignature: UInt32,
        vmm: VMMType = .qemu, vmType: SEVVMType
    ) throws(LaunchDigestError) -> LaunchDigestResult {
        guard isSEVFirmware(firmware) else { throw .noSEVMetadata }
        let pages = try sevESVMSAPages(firmware: firmware, vcpus: vcpus, vcpuSignature: vcpuSignature, vmm: vmm, vmType: vmType)
        var hasher = SHA256()
        firmware.bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        if let hashTable {
            hasher.update(data: try measuredHashTable(firmware: firmware, table: hashTable))
        }
        for page in pages { hasher.update(data: page) }
        return LaunchDigestResult(digest: Array(hasher.finalize()), vmsaPages: pages)
    }

    /// The SNP digest after the firmware alone (`snp:ovmf-hash`), to seed later computations
    /// without the firmware file.
    public static func snpOVMFHash(firmware: OVMFImage) throws(LaunchDigestError) -> [UInt8] {
        guard firmware.hasSEVMetadata else { throw .noSEVMetadata }
        var context = SNPLaunchDigest()
        try measureFirmwarePages(firmware, endingAt: firmwareEnd, into: &context)
        return context.digest
    }

    /// SEV-SNP: the firmware pages (or a precomputed `ovmfHash` seed), the metadata sections,
    /// then one VMSA per vCPU.
    ///
    /// - Parameter guestFeatures: the raw SEV_FEATURES value of the VMSAs (bit 0 SNPActive).
    public static func snp(
        firmware: OVMFImage, hashTable: SEVHashTable?, vcpus: Int, vcpuSignature: UInt32,
        guestFeatures: UInt64, vmm: VMMType = .qemu, ovmfHash: [UInt8]? = nil
    ) throws(LaunchDigestError) -> LaunchDigestResult {
        guard firmware.hasSEVMetadata else { throw .noSEVMetadata }
        if hashTable != nil, !firmware.hasSNPKernelHashes { throw .noSNPKernelHashes }
        if let ovmfHash, ovmfHash.count != SNPLaunchDigest.digestSize {
            throw .invalidOVMFHashLength(ovmfHash.count)
        }
        // KVM creates every SNP VM with KVM_SEV_INIT2.
        let pages = try vmsaPages(firmware: firmware, vcpus: vcpus, sevFeatures: guestFeatures,
                                  vcpuSignature: vcpuSignature, vmm: vmm, fpu: SEVVMType.init2.vmsaFPU)
        var context = SNPLaunchDigest(seed: ovmfHash)
        if ovmfHash == nil {
            try measureFirmwarePages(firmware, endingAt: firmwareEnd, into: &context)
        }
        try measureMetadata(of: firmware, hashTable: hashTable, vmm: vmm, into: &context)
        measure(vmsaPages: pages, into: &context)
        return LaunchDigestResult(digest: context.digest, vmsaPages: pages)
    }

    /// SEV-SNP with Coconut-SVSM under QEMU: the firmware and the SVSM image (placed below the
    /// firmware and its `varsSize`-byte variable store), the SVSM's metadata, and one SVSM VMSA
    /// per vCPU.
    public static func snpSVSM(
        firmware: OVMFImage, svsm: OVMFImage, varsSize: UInt64, vcpus: Int, vcpuSignature: UInt32
    ) throws(LaunchDigestError) -> LaunchDigestResult {
        guard firmware.hasSEVMetadata, svsm.hasSEVMetadata else { throw .noSEVMetadata }
        try checkVCPUCount(vcpus)
        guard varsSize % UInt64(SNPLaunchDigest.pageSize) == 0 else {
            throw .notPageAligned(what: "OVMF variable store size", value: varsSize)
        }
        let firmwareStart = firmwareEnd - UInt64(firmware.bytes.count)
        guard varsSize + UInt64(svsm.bytes.count) <= firmwareStart else {
            throw .svsmPlacement("\(svsm.bytes.count) bytes plus a \(varsSize)-byte variable store do not fit below GPA 0x\(String(firmwareStart, radix: 16))")
        }
        let svsmEnd = firmwareStart - varsSize
        let svsmStart = svsmEnd - UInt64(svsm.bytes.count)
        guard let entryOffset = svsm.entry(OVMFFooterGUID.svsmInfo)?.firstUInt32 else { throw .noSVSMInfo }
        let entryPoint = svsmStart + UInt64(entryOffset)
        guard entryPoint <= UInt64(UInt32.max) else {
            throw .svsmPlacement("entry point 0x\(String(entryPoint, radix: 16)) lies above 4 GiB")
        }

        var context = SNPLaunchDigest()
        try measureFirmwarePages(firmware, endingAt: firmwareEnd, into: &context)
        try measureFirmwarePages(svsm, endingAt: svsmEnd, into: &context)
        try measureMetadata(of: svsm, hashTable: nil, vmm: .qemu, into: &context)
        let page = InitialVMSA.svsmPage(entryPoint: UInt32(entryPoint), vcpuSignature: vcpuSignature).bytes
        let pages = Array(repeating: page, count: vcpus)
        measure(vmsaPages: pages, into: &context)
        return LaunchDigestResult(digest: context.digest, vmsaPages: pages)
    }

    /// Whether SEV and SEV-ES digests of `firmware` mean anything: it carries SEV metadata, or
    /// (AmdSev builds from before edk2 added the metadata, e.g. RHEL 9's 2022 `OVMF.amdsev.fd`)
    /// it places an SEV hashes table or secret area. SNP always needs the metadata itself.
    public static func isSEVFirmware(_ firmware: OVMFImage) -> Bool {
        firmware.hasSEVMetadata || firmware.sevHashTableLocation != nil || firmware.sevSecretLocation != nil
    }

    // MARK: - Steps

    /// The VMSA pages an SEV-ES launch measures, one per vCPU, as KVM fills them for `vmType`.
    public static func sevESVMSAPages(
        firmware: OVMFImage, vcpus: Int, vcpuSignature: UInt32, vmm: VMMType = .qemu, vmType: SEVVMType
    ) throws(LaunchDigestError) -> [[UInt8]] {
        try vmsaPages(firmware: firmware, vcpus: vcpus, sevFeatures: vmType.sevESFeatures,
                      vcpuSignature: vcpuSignature, vmm: vmm, fpu: vmType.vmsaFPU)
    }

    /// The VMSA pages of `vcpus` vCPUs: the BSP at the reset vector, APs at the SEV-ES reset address.
    static func vmsaPages(
        firmware: OVMFImage, vcpus: Int, sevFeatures: UInt64, vcpuSignature: UInt32,
        vmm: VMMType, fpu: InitialVMSA.FPUState
    ) throws(LaunchDigestError) -> [[UInt8]] {
        try checkVCPUCount(vcpus)
        guard let apReset = firmware.sevESResetAddress else { throw .noSEVESResetBlock }
        let bsp = InitialVMSA.page(resetAddress: InitialVMSA.bspResetAddress, sevFeatures: sevFeatures,
                                   vcpuSignature: vcpuSignature, vmm: vmm, fpu: fpu).bytes
        let ap = InitialVMSA.page(resetAddress: apReset, sevFeatures: sevFeatures,
                                  vcpuSignature: vcpuSignature, vmm: vmm, fpu: fpu).bytes
        return [bsp] + Array(repeating: ap, count: vcpus - 1)
    }

    /// The padded table, after checking the firmware has room for it (as QEMU checks).
    static func measuredHashTable(firmware: OVMFImage, table: SEVHashTable) throws(LaunchDigestError) -> [UInt8] {
        guard let location = firmware.sevHashTableLocation else { throw .noHashTable }
        guard location.size >= SEVHashTable.paddedSize else { throw .hashTableTooSmall(location) }
        return table.bytes
    }

    static func measureFirmwarePages(_ image: OVMFImage, endingAt end: UInt64, into context: inout SNPLaunchDigest) throws(LaunchDigestError) {
        guard image.bytes.count % SNPLaunchDigest.pageSize == 0 else {
            throw .notPageAligned(what: "image size", value: UInt64(image.bytes.count))
        }
        context.measureNormalPages(image.bytes, at: end - UInt64(image.bytes.count))
    }

    /// Measures the SEV metadata sections in firmware order, the way QEMU (or EC2, GCE) issues
    /// SNP_LAUNCH_UPDATE for them.
    static func measureMetadata(
        of image: OVMFImage, hashTable: SEVHashTable?, vmm: VMMType, into context: inout SNPLaunchDigest
    ) throws(LaunchDigestError) {
        let sections = image.sevMetadata?.sections ?? []
        let page = UInt64(SNPLaunchDigest.pageSize)
        for section in sections {
            let gpa = UInt64(section.gpa), size = UInt64(section.size)
            guard gpa % page == 0 else { throw .notPageAligned(what: "\(section.kind) section GPA", value: gpa) }
            guard size % page == 0 else { throw .notPageAligned(what: "\(section.kind) section size", value: size) }
            switch section.kind {
            case .snpSecureMemory:
                context.measurePages(vmm == .gce ? .unmeasured : .zero, at: gpa, size: size)
            case .snpSecrets:
                context.update(type: .secrets, gpa: gpa, contents: SNPLaunchDigest.zeros)
            case .cpuid:
                // EC2 inserts the CPUID page after all other metadata pages.
                if vmm != .ec2 { context.update(type: .cpuid, gpa: gpa, contents: SNPLaunchDigest.zeros) }
            case .snpKernelHashes:
                if let hashTable {
                    guard let location = image.sevHashTableLocation else { throw .noHashTable }
                    let offset = Int(location.gpa & 0xfff)
                    guard size == page, offset + SEVHashTable.paddedSize <= SNPLaunchDigest.pageSize else {
                        throw .badKernelHashesSection(gpa: section.gpa, size: section.size, tableGPA: location.gpa)
                    }
                    context.measureNormalPages(hashTable.page(offset: offset), at: gpa)
                } else {
                    context.measurePages(.zero, at: gpa, size: size)
                }
            case .svsmCallingArea:
                context.measurePages(.zero, at: gpa, size: size)
            }
        }
        if vmm == .ec2 {
            for section in sections where section.kind == .cpuid {
                context.update(type: .cpuid, gpa: UInt64(section.gpa), contents: SNPLaunchDigest.zeros)
            }
        }
    }

    static func measure(vmsaPages pages: [[UInt8]], into context: inout SNPLaunchDigest) {
        // Identical AP pages share one SHA-384.
        var last: (page: [UInt8], digest: [UInt8])?
        for page in pages {
            if let cached = last, cached.page == page {
                context.measureVMSA(digest: cached.digest)
            } else {
                let digest = Array(SHA384.hash(data: page))
                last = (page, digest)
                context.measureVMSA(digest: digest)
            }
        }
    }
}
