import SEVKit

/// Checks neither sevctl nor snphost makes: the host's kernel, IOMMU, QEMU and OVMF, and
/// whether sevhost is running on bare metal at all.
extension HostChecks {
    /// guest_memfd, which SEV-SNP guests' private memory lives in, arrived in Linux 6.11
    /// together with KVM's SNP host support.
    static let minimumSNPKernel = DottedVersion(6, 11)
    /// `sev-snp-guest` arrived in QEMU 9.1.
    static let minimumSNPQEMU = DottedVersion(9, 1)

    static var bareMetal: HostCheck {
        HostCheck(
            id: "bare-metal", name: "Bare-metal host", generation: .sev, category: .hostSoftware,
            description: "CPUID 1 ECX bit 31 is clear: no hypervisor sits below this OS",
            hint: "This is a virtual machine: run sevhost ok on the bare-metal host, whose KVM launches the SEV guests"
        ) { context in
            context.probe.runsUnderHypervisor
                ? .fail("running inside a virtual machine (CPUID hypervisor bit set)")
                : .pass()
        }
    }

    static var kernel: HostCheck {
        HostCheck(
            id: "kernel", name: "Kernel", generation: .sev, category: .kernelConfig,
            description: "The running kernel's release (/proc/sys/kernel/osrelease)",
            hint: "A captured host must hold proc/sys/kernel/osrelease",
            children: [guestMemfd, kernelCommandLine, msrModule]
        ) { context in
            switch context.probe.text("proc/sys/kernel/osrelease") {
            case .success(let release): return .pass(release.trimmingCharacters(in: .whitespacesAndNewlines))
            case .failure(let failure): return .fail("unable to read /proc/sys/kernel/osrelease: \(failure)")
            }
        }
    }

    static var guestMemfd: HostCheck {
        HostCheck(
            id: "guest-memfd", name: "guest_memfd for SEV-SNP (Linux 6.11+)", generation: .snp, category: .kernelConfig,
            description: "The kernel is 6.11 or later: KVM's SEV-SNP host support and guest_memfd",
            hint: "Boot a Linux 6.11 or later kernel built with CONFIG_KVM_AMD_SEV"
        ) { context in
            guard case .success(let release) = context.probe.text("proc/sys/kernel/osrelease"),
                  let version = DottedVersion(release.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return .fail("the kernel release is unreadable") }
            return version >= minimumSNPKernel
                ? .pass("kernel \(version) has it")
                : .fail("kernel \(version) is older than \(minimumSNPKernel)")
        }
    }

    static var kernelCommandLine: HostCheck {
        HostCheck(
            id: "kernel-command-line", name: "Kernel command line", generation: .sev, category: .kernelConfig,
            description: "No mem_encrypt= or kvm_amd.* parameter on /proc/cmdline disables what is checked",
            hint: "Remove the parameter from the boot loader's kernel command line (e.g. GRUB_CMDLINE_LINUX) and reboot"
        ) { context in
            let parameters: [String]
            switch context.kernelCommandLine {
            case .success(let words): parameters = words
            case .failure(let failure): return .fail("unable to read /proc/cmdline: \(failure)")
            }
            let relevant = parameters.filter { $0.hasPrefix("mem_encrypt=") || $0.hasPrefix("kvm_amd.") }
            var disabled = [String]()
            for parameter in relevant {
                let parts = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["0", "n", "N", "off", "false"].contains(parts[1]) else { continue }
                switch parts[0] {
                case "kvm_amd.sev": disabled.append("\(parameter) disables SEV")
                case "kvm_amd.sev_es" where context.generation >= .es: disabled.append("\(parameter) disables SEV-ES")
                case "kvm_amd.sev_snp" where context.generation >= .snp: disabled.append("\(parameter) disables SEV-SNP")
                default: break
                }
            }
            if !disabled.isEmpty { return .fail(disabled.joined(separator: "; ")) }
            return .pass(relevant.isEmpty ? "no memory-encryption parameters (module defaults apply)" : relevant.joined(separator: " "))
        }
    }

    static var msrModule: HostCheck {
        HostCheck(
            id: "msr-module", name: "MSR module", generation: .sev, category: .kernelConfig,
            description: "The msr driver is loaded (/sys/module/msr), so SYSCFG and the RMP bounds can be read",
            hint: "sudo modprobe msr (and add msr to /etc/modules-load.d/ to keep it)"
        ) { context in
            context.probe.root.exists("sys/module/msr") ? .pass("loaded") : .fail("/sys/module/msr does not exist")
        }
    }

    static var iommu: HostCheck {
        HostCheck(
            id: "iommu", name: "IOMMU", generation: .snp, category: .biosConfigured,
            description: "An IOMMU is active (/sys/class/iommu): SEV-SNP refuses to initialize without one",
            hint: "Enable the IOMMU in the BIOS and do not pass iommu=off or amd_iommu=off",
            children: [iommuTranslated]
        ) { context in
            let units = context.probe.root.list("sys/class/iommu") ?? []
            return units.isEmpty ? .fail("no IOMMU in /sys/class/iommu") : .pass("enabled (\(units.joined(separator: ", ")))")
        }
    }

    static var iommuTranslated: HostCheck {
        HostCheck(
            id: "iommu-not-passthrough", name: "IOMMU not in passthrough", generation: .snp, category: .kernelConfig,
            description: "No iommu=pt or iommu.passthrough=1, and no IOMMU group of type identity: SNP needs DMA translation",
            hint: "Remove iommu=pt / iommu.passthrough=1 from the kernel command line and reboot"
        ) { context in
            let passthrough = context.kernelParameters.filter {
                $0 == "iommu=pt" || $0 == "iommu.passthrough=1" || $0 == "iommu.passthrough=on" || $0 == "amd_iommu=pt"
            }
            if !passthrough.isEmpty { return .fail(passthrough.joined(separator: " ") + " on the kernel command line") }
            let groups = context.probe.root.list("sys/kernel/iommu_groups") ?? []
            let identity = groups.filter { group in
                guard case .success(let type) = context.probe.text("sys/kernel/iommu_groups/\(group)/type") else { return false }
                return type.trimmingCharacters(in: .whitespacesAndNewlines) == "identity"
            }
            if !identity.isEmpty {
                return .fail("IOMMU group \(identity.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.first!) is of type identity (passthrough)")
            }
            return .pass("translated")
        }
    }

    static var qemu: HostCheck {
        HostCheck(
            id: "qemu", name: "QEMU", generation: .sev, category: .hostSoftware,
            description: "A QEMU system emulator for x86-64 is installed, and its version",
            hint: "Install QEMU (apt install qemu-system-x86)",
            children: [qemuSNP]
        ) { context in
            let qemu = context.probe.qemu()
            if let version = qemu.version, let path = qemu.path { return .pass("\(version) (\(path))") }
            return .fail(qemu.error ?? "no QEMU found")
        }
    }

    static var qemuSNP: HostCheck {
        HostCheck(
            id: "qemu-snp", name: "QEMU supports SEV-SNP (9.1+)", generation: .snp, category: .hostSoftware,
            description: "QEMU is 9.1 or later, the first with the sev-snp-guest object",
            hint: "Install QEMU 9.1 or later (on Debian 12: apt install -t bookworm-backports qemu-system-x86)"
        ) { context in
            guard let text = context.probe.qemu().version, let version = DottedVersion(text) else {
                return .fail("the QEMU version is unknown")
            }
            return version >= minimumSNPQEMU ? .pass() : .fail("QEMU \(version) is older than \(minimumSNPQEMU)")
        }
    }
}
