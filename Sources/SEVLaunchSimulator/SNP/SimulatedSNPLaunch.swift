import SEVKit

/// What QEMU hands the AMD-SP, through KVM, for one SEV-SNP launch: read from QEMU's command
/// line (`-bios`, `-kernel/-initrd/-append` with `kernel-hashes=on`, `-smp`, `-cpu`, and the
/// `sev-snp-guest` properties), never from a sevhost spec.
public struct SimulatedSNPLaunchConfiguration: Sendable {
    public var firmware: OVMFImage
    /// The SEV hashes table QEMU builds with `kernel-hashes=on` from the files it loads.
    public var hashTable: SEVHashTable?
    public var vcpus: Int
    /// CPUID Fn0000_0001_EAX of the `-cpu` model (RDX of every VMSA).
    public var vcpuSignature: UInt32
    public var policy: UInt64
    public var finish: SimulatedSNPGuest.Finish

    public init(firmware: OVMFImage, hashTable: SEVHashTable?, vcpus: Int, vcpuSignature: UInt32, policy: UInt64, finish: SimulatedSNPGuest.Finish) {
        self.firmware = firmware
        self.hashTable = hashTable
        self.vcpus = vcpus
        self.vcpuSignature = vcpuSignature
        self.policy = policy
        self.finish = finish
    }
}

/// The command sequence QEMU 10 and KVM issue for an SNP guest, page by page:
/// SNP_LAUNCH_START at machine creation; then, when the guest is first set running, one
/// SNP_LAUNCH_UPDATE per page of the `-bios` image (ending at 4 GiB), then per page of each
/// OVMF SEV metadata section in the firmware's order (SNP_SEC_MEM as zero pages, the secrets
/// page, the CPUID page, SNP_KERNEL_HASHES as a normal page holding the hashes table with
/// `kernel-hashes=on` and as a zero page without, other kinds as zero pages), then KVM's
/// LAUNCH_UPDATE of every vCPU's VMSA, then SNP_LAUNCH_FINISH.
///
/// The walk is the simulator's own reading of QEMU (`sev_snp_launch_finish`,
/// `snp_populate_metadata_pages`) and KVM; tests compare its measurement with sev-snp-measure.
public enum SimulatedSNPLaunch {
    /// Runs the whole launch and returns the running guest, or the first refusal.
    public static func run(_ configuration: SimulatedSNPLaunchConfiguration, platform: SimulatedSNPPlatform) throws(SimulatorError) -> SimulatedSNPGuest {
        var guest = SimulatedSNPGuest()
        do {
            try guest.launchStart(policy: configuration.policy, platform: platform)
        } catch {
            throw .firmware(error)
        }
        try update(configuration, guest: &guest)
        do {
            try guest.launchFinish(configuration.finish)
        } catch {
            throw .firmware(error)
        }
        return guest
    }

    /// The LAUNCH_UPDATEs of firmware, metadata and VMSAs, on a guest past SNP_LAUNCH_START:
    /// what QEMU and KVM issue when the guest is first set running, before SNP_LAUNCH_FINISH.
    public static func update(_ configuration: SimulatedSNPLaunchConfiguration, guest: inout SimulatedSNPGuest) throws(SimulatorError) {
        let firmware = configuration.firmware
        guard let metadata = firmware.sevMetadata else {
            throw .argument("sev_snp_launch_finish: Failed to locate SEV metadata header")
        }
        let page = SNPLaunchDigest.pageSize
        guard firmware.bytes.count % page == 0 else {
            throw .argument("-bios: the firmware image is \(firmware.bytes.count) bytes, not whole pages")
        }
        if configuration.hashTable != nil, !firmware.hasSNPKernelHashes || firmware.sevHashTableLocation == nil {
            throw .argument("SEV: kernel specified but guest firmware has no hashes table GUID")
        }
        do {
            let base = LaunchDigest.firmwareEnd - UInt64(firmware.bytes.count)
            for offset in stride(from: 0, to: firmware.bytes.count, by: page) {
                try guest.launchUpdate(type: .normal, gpa: base + UInt64(offset), contents: Array(firmware.bytes[offset..<(offset + page)]))
            }
            for section in metadata.sections {
                let start = UInt64(section.gpa), end = start + UInt64(section.size)
                var type: SNPLaunchDigest.PageType
                var contents: [UInt8]?
                switch section.kind {
                case .snpSecrets: type = .secrets
                case .cpuid: type = .cpuid
                case .snpKernelHashes:
                    type = .zero
                    if let table = configuration.hashTable, let location = firmware.sevHashTableLocation {
                        type = .normal
                        contents = table.page(offset: Int(location.gpa) & (page - 1))
                    }
                case .snpSecureMemory, .svsmCallingArea: type = .zero
                }
                var gpa = start
                while gpa < end {
                    try guest.launchUpdate(type: type, gpa: gpa, contents: contents)
                    gpa += UInt64(page)
                }
            }
        } catch let status as SEVFirmwareStatus {
            throw .firmware(status)
        } catch {
            throw .argument("\(error)")
        }
        guard let apReset = firmware.sevESResetAddress else {
            throw .argument("the firmware has no SEV-ES reset block, so application processors cannot start")
        }
        for vcpu in 0..<configuration.vcpus {
            let vmsa = InitialVMSA.page(
                resetAddress: vcpu == 0 ? InitialVMSA.bspResetAddress : apReset,
                sevFeatures: SNPLaunchInputs.qemuGuestFeatures, vcpuSignature: configuration.vcpuSignature, vmm: .qemu, fpu: .reset)
            do {
                try guest.launchUpdate(type: .vmsa, gpa: 0, contents: vmsa.bytes)
            } catch {
                throw .firmware(error)
            }
        }
    }
}
