/// The register state each hypervisor gives a vCPU at reset, as a VMSA page.
///
/// These values are what KVM (through QEMU), EC2's and GCE's hypervisors load before
/// LAUNCH_UPDATE_VMSA; they are the x86 reset state with the few deviations each stack makes.
/// The EC2 definition is the one sev-snp-measure has used since its commit 4a02bf0 (RDX 0x600),
/// which its maintainers changed after the older definition stopped matching live EC2 guests.
public enum InitialVMSA {
    /// The BSP starts at the architectural reset vector.
    public static let bspResetAddress: UInt32 = 0xffff_fff0
    /// PAT MSR reset value (AMD APM vol. 2, A.3).
    public static let resetPAT: UInt64 = 0x0007_0406_0007_0406

    /// Whether the x87/SSE control words carry their reset values (FCW 0x37F, MXCSR 0x1F80).
    /// KVM writes them into the VMSAs of VMs created with KVM_SEV_INIT2 and leaves them zero
    /// with the legacy KVM_SEV_ES_INIT (as sevctl's `vmsa build` does): `SEVVMType.vmsaFPU`
    /// is the rule that picks one.
    public enum FPUState: String, Sendable, CaseIterable {
        case reset
        case zero
    }

    /// The VMSA of a vCPU that starts at `resetAddress` (the BSP's or the SEV-ES AP reset address).
    ///
    /// - Parameters:
    ///   - sevFeatures: 0 for SEV-ES; the SNP guest features (raw SEV_FEATURES) for SNP.
    ///   - vcpuSignature: CPUID signature placed in RDX (QEMU only; EC2 and GCE use 0x600).
    public static func page(
        resetAddress: UInt32, sevFeatures: UInt64, vcpuSignature: UInt32,
        vmm: VMMType = .qemu, fpu: FPUState = .reset
    ) -> VMSA {
        var csAttributes: UInt16 = 0x9b, ssAttributes: UInt16 = 0x93, trAttributes: UInt16 = 0x8b
        var pat = resetPAT
        var rdx = UInt64(vcpuSignature)
        var fpuReset = fpu == .reset
        switch vmm {
        case .qemu:
            break
        case .ec2:
            // EC2 starts the BSP with a non-accessed code segment and uses other SS/TR types.
            if resetAddress == bspResetAddress { csAttributes = 0x9a }
            ssAttributes = 0x92
            trAttributes = 0x83
            rdx = 0x600
            fpuReset = false
        case .gce:
            pat = 0x0007_0106
            rdx = 0x600
            fpuReset = false
        }

        var vmsa = VMSA()
        let data = VMCBSegment(selector: 0, attributes: 0x93, limit: 0xffff, base: 0)
        vmsa.es = data
        vmsa.cs = VMCBSegment(selector: 0xf000, attributes: csAttributes, limit: 0xffff,
                              base: UInt64(resetAddress & 0xffff_0000))
        vmsa.ss = VMCBSegment(selector: 0, attributes: ssAttributes, limit: 0xffff, base: 0)
        vmsa.ds = data
        vmsa.fs = data
        vmsa.gs = data
        vmsa.gdtr = VMCBSegment(selector: 0, attributes: 0, limit: 0xffff, base: 0)
        vmsa.idtr = VMCBSegment(selector: 0, attributes: 0, limit: 0xffff, base: 0)
        vmsa.ldtr = VMCBSegment(selector: 0, attributes: 0x82, limit: 0xffff, base: 0)
        vmsa.tr = VMCBSegment(selector: 0, attributes: trAttributes, limit: 0xffff, base: 0)
        vmsa.efer = 0x1000  // EFER.SVME, set by KVM
        vmsa.cr4 = 0x40     // CR4.MCE, set by KVM
        vmsa.cr0 = 0x10
        vmsa.dr7 = 0x400
        vmsa.dr6 = 0xffff_0ff0
        vmsa.rflags = 0x2
        vmsa.rip = UInt64(resetAddress & 0xffff)
        vmsa.gPAT = pat
        vmsa.rdx = rdx
        vmsa.sevFeatures = sevFeatures
        vmsa.xcr0 = 0x1
        if fpuReset {
            vmsa.mxcsr = 0x1f80
            vmsa.x87FCW = 0x37f
        }
        return vmsa
    }

    /// The VMSA Coconut-SVSM's vCPUs start with under QEMU: 32-bit protected mode at the SVSM
    /// entry point, SNPActive only.
    ///
    /// MXCSR carries its reset value but the x87 FCW stays zero: that is what sev-snp-measure
    /// measures and what the published SVSM launch digests (taken from real launches) confirm.
    public static func svsmPage(entryPoint: UInt32, vcpuSignature: UInt32) -> VMSA {
        var vmsa = VMSA()
        let flat = VMCBSegment(selector: 16, attributes: 0xc93, limit: 0xffff_ffff, base: 0)
        vmsa.es = flat
        vmsa.cs = VMCBSegment(selector: 8, attributes: 0xc9b, limit: 0xffff_ffff, base: 0)
        vmsa.ss = flat
        vmsa.ds = flat
        vmsa.fs = flat
        vmsa.gs = VMCBSegment(selector: 0, attributes: 0x93, limit: 0xffff, base: 0)
        vmsa.gdtr = VMCBSegment(selector: 0, attributes: 0, limit: 0xffff, base: 0)
        vmsa.idtr = VMCBSegment(selector: 0, attributes: 0, limit: 0xffff, base: 0)
        vmsa.ldtr = VMCBSegment(selector: 0, attributes: 0x82, limit: 0xffff, base: 0)
        vmsa.tr = VMCBSegment(selector: 0, attributes: 0x8b, limit: 0xffff, base: 0)
        vmsa.efer = 0x1000
        vmsa.cr4 = 0x40
        vmsa.cr0 = 0x11
        vmsa.dr7 = 0x400
        vmsa.dr6 = 0xffff_0ff0
        vmsa.rflags = 0x2
        vmsa.rip = UInt64(entryPoint)
        vmsa.gPAT = resetPAT
        vmsa.rdx = UInt64(vcpuSignature)
        vmsa.sevFeatures = 0x1
        vmsa.xcr0 = 0x1
        vmsa.mxcsr = 0x1f80
        return vmsa
    }
}
