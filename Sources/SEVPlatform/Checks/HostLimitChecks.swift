import SEVKit

/// Checks none of the anchors make, about what this host lets a launch do: which generation the
/// CPU is (also for CPUs sevhost's table does not know), how KVM splits the ASIDs, which SNP
/// policy bits KVM accepts, and which SEV firmware file the kernel sent the AMD-SP.
extension HostChecks {
    static var limits: [HostCheck] { [generation, asidSplit, snpPolicyBits, firmwareFile] }

    static var generation: HostCheck {
        HostCheck(
            id: "generation", name: "Generation", generation: .sev, category: .cpuInfo,
            description: "The EPYC product line from CPUID family and model; for one the table does not know, the generation from CPUID 0x8000001F EAX (bits 1, 3, 4) and the TCB layout from the family",
            hint: "SEV needs an AMD EPYC with CPUID 0x8000001F EAX bit 1 (SEV) set"
        ) { context in
            let id = context.probe.identification
            guard id.generation != nil else { return .fail(id.summary) }
            return .pass(id.summary)
        }
    }

    static var asidSplit: HostCheck {
        HostCheck(
            id: "asid-split", name: "ASIDs", generation: .sev, category: .cpuInfo,
            description: "KVM's ASID ranges (sev_hardware_setup): SEV [EDX, ECX] of CPUID 0x8000001F, SEV-ES and SEV-SNP [1, EDX-1], split by kvm_amd ciphertext_hiding_asids; the selected generation's range must not be empty",
            hint: "Raise the BIOS's \"SEV-ES ASID Space Limit\" (CPUID 0x8000001F EDX) above 1, or lower kvm_amd ciphertext_hiding_asids"
        ) { context in
            guard let split = context.probe.asidSplit else {
                return .fail("CPUID 0x8000001F ECX is 0: the CPU reports no ASIDs", hint: context.guestHint ?? HostChecks.generation.hint)
            }
            let range = split.range(for: context.generation)
            guard range.count > 0 else {
                return .fail("\(split.summary): no ASID is left for \(context.generation.displayName) guests")
            }
            return .pass(split.summary)
        }
    }

    static var snpPolicyBits: HostCheck {
        HostCheck(
            id: "snp-policy-bits", name: "SNP policy bits KVM accepts", generation: .snp, category: .kvmConfig,
            description: "KVM_GET_DEVICE_ATTR KVM_X86_SNP_POLICY_BITS on /dev/kvm (Linux 6.19), else the fixed mask 0x1bffff of Linux 6.11 to 6.18: SNP_LAUNCH_START returns -EINVAL (ret=-22 fw_error=0) for a policy with any other bit",
            hint: "Load kvm_amd with sev_snp=1 on an SNP-initialized host; a bit KVM does not accept cannot be had by changing the spec"
        ) { context in
            switch context.probe.snpPolicyBits() {
            case .failure(let failure):
                return .fail("KVM_X86_SNP_POLICY_BITS: \(failure.message)")
            case .success(let bits):
                guard bits.mask & SNPGuestPolicy.reservedOneMask != 0 else {
                    return .fail("\(bits.hex) from \(bits.source.rawValue): KVM accepts no SNP policy (SEV-SNP is not initialized in KVM)")
                }
                let names = bits.flagNames
                return .pass("\(bits.hex) (\(names.isEmpty ? "no flags" : names.joined(separator: ", "))) from \(bits.source.rawValue)")
            }
        }
    }

    static var firmwareFile: HostCheck {
        HostCheck(
            id: "sev-firmware-file", name: "SEV firmware file", generation: .sev, category: .biosConfigured,
            description: "The file the ccp driver sends the AMD-SP at boot (amd/amd_sev_fam<FF>h_model<MM>h.sbin, amd/amd_sev_fam<FF>h_model<M>xh.sbin, amd/sev.fw under /lib/firmware), its header version, the kernel log's lines about it, and the running PLATFORM_STATUS version",
            hint: "Reboot (or reload ccp) after changing the file; a newer file that still does not run was refused by the firmware"
        ) { context in
            let running: SEVFirmwareFile.Version?
            switch context.probe.sevPlatformStatus() {
            case .success(let status): running = SEVFirmwareFile.Version(major: status.apiMajor, minor: status.apiMinor, build: status.build)
            case .failure: running = nil
            }
            let load: KernelLog.FirmwareLoad?
            if case .success(let log) = context.probe.kernelLog() { load = log.firmwareLoad } else { load = nil }
            var facts: [String] = []
            if let loaded = load?.loadedFile { facts.append("the kernel log shows \(loaded) loaded") }
            if load?.updateSucceeded == true { facts.append("\"SEV firmware update successful\"") }
            let runningText = running.map { "\($0) runs" } ?? "the running version is unknown"
            guard let file = context.probe.sevFirmwareFile() else {
                let searched = SEVFirmwareFile.candidateNames(family: context.probe.signature.family, model: context.probe.signature.model)
                return .pass((["none of \(searched.joined(separator: ", ")) under /lib/firmware: the BIOS's firmware runs", runningText] + facts).joined(separator: "; "))
            }
            guard let version = file.version else {
                return .fail("\(file.path) is not a signed SEV firmware image (no $PS1 header); \(runningText)",
                             hint: "Replace it with the image from AMD's SEV firmware download, renamed to \(file.name)")
            }
            var text = (["\(file.path) is \(version)", runningText] + facts).joined(separator: "; ")
            guard let running else { return .pass(text) }
            if version > running {
                text += ": the file is newer than what runs, so the firmware did not take it at boot"
                return .fail(text)
            }
            if version < running { text += ": the firmware keeps the newer \(running) and ignores the file" }
            return .pass(text)
        }
    }
}
