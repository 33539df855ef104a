/// Everything an SEV-SNP launch digest depends on, gathered in one value: the firmware, the
/// kernel hashes page, the vCPUs and their model, the VMSA features and the VMM.
///
/// A launch builder, a report verifier and the simulated firmware's front each read these from
/// their own source (a spec, a command line); once gathered, the digest is one computation.
public struct SNPLaunchInputs: Sendable {
    public var firmware: OVMFImage
    /// The SEV hashes table of `-kernel/-initrd/-append` with `kernel-hashes=on`; nil otherwise.
    public var hashTable: SEVHashTable?
    public var vcpus: Int
    /// CPUID Fn0000_0001_EAX of the vCPU model, which KVM puts in RDX of every VMSA.
    public var vcpuSignature: UInt32
    /// SEV_FEATURES of the VMSAs.
    public var guestFeatures: UInt64
    public var vmm: VMMType

    /// What QEMU 10 and Linux give every SNP VMSA: QEMU creates the VM with KVM_SEV_INIT2 and
    /// `vmsa_features` 0 (it has no property to set any), and KVM adds SNPActive (bit 0). Nothing
    /// in a QEMU command line changes it, so a spec has no field for it.
    public static let qemuGuestFeatures: UInt64 = 0x1

    public init(
        firmware: OVMFImage, hashTable: SEVHashTable?, vcpus: Int, vcpuSignature: UInt32,
        guestFeatures: UInt64 = SNPLaunchInputs.qemuGuestFeatures, vmm: VMMType = .qemu
    ) {
        self.firmware = firmware
        self.hashTable = hashTable
        self.vcpus = vcpus
        self.vcpuSignature = vcpuSignature
        self.guestFeatures = guestFeatures
        self.vmm = vmm
    }

    /// The launch digest the PSP computes (SNP_LAUNCH_UPDATE of firmware, metadata and VMSAs).
    public func digest() throws(LaunchDigestError) -> [UInt8] {
        try LaunchDigest.snp(
            firmware: firmware, hashTable: hashTable, vcpus: vcpus, vcpuSignature: vcpuSignature,
            guestFeatures: guestFeatures, vmm: vmm).digest
    }
}
