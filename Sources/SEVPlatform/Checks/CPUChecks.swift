import SEVKit

extension HostChecks {
    static let msrHint = "Load the msr module (sudo modprobe msr) and run as root to read MSRs"

    static var amdCPU: HostCheck {
        HostCheck(
            id: "amd-cpu", name: "AMD CPU", generation: .sev, category: .cpuSupport,
            description: "CPUID leaf 0 vendor string is \"AuthenticAMD\"",
            hint: "SEV needs an AMD EPYC processor",
            children: [microcode, sme, sev, pageFlushMSR]
        ) { context in
            .check(context.probe.vendor == "AuthenticAMD")
        }
    }

    static var microcode: HostCheck {
        HostCheck(
            id: "microcode-support", name: "Microcode support", generation: .sev, category: .cpuSupport,
            description: "The processor brand string (CPUID 0x80000002-4) names an EPYC part",
            hint: "SEV needs a server-class EPYC processor; Ryzen and Threadripper parts lack it"
        ) { context in
            .check(context.probe.brand.uppercased().contains("EPYC"))
        }
    }

    static var sme: HostCheck {
        HostCheck(
            id: "sme", name: "Secure Memory Encryption (SME)", generation: .sev, category: .cpuSupport,
            description: "CPUID 0x8000001F EAX bit 0: the CPU implements SME",
            hint: "SME needs EPYC 7001 (Naples) or later; a hypervisor may hide CPUID 0x8000001F",
            children: [smeEnabled]
        ) { context in
            context.memoryEncryption.eax & 1 != 0 ? .pass() : .fail(hint: context.guestHint)
        }
    }

    static var smeEnabled: HostCheck {
        HostCheck(
            id: "sme-enabled-in-msr", name: "SME", generation: .sev, category: .biosConfigured,
            description: "MSR 0xC0010010 (SYSCFG) bit 23: memory encryption is enabled by the BIOS",
            hint: "Enable SMEE in the BIOS (CBS > CPU Common Options) and reboot"
        ) { context in
            syscfgBit(context, bit: 23, name: "SME")
        }
    }

    /// A SYSCFG bit, reported the way the peers do (`SME: Enabled in MSR`).
    static func syscfgBit(_ context: CheckContext, bit: UInt64, name: String) -> CheckOutcome {
        switch context.probe.msr(MSR.syscfg) {
        case .success(let value):
            return value >> bit & 1 == 1
                ? .pass("Enabled in MSR", name: name) : .fail("Disabled in MSR", name: name)
        case .failure(let failure):
            return .fail("MSR read failed: \(failure.message)", name: name, hint: msrHint)
        }
    }

    static var sev: HostCheck {
        HostCheck(
            id: "sev", name: "Secure Encrypted Virtualization (SEV)", generation: .sev, category: .cpuSupport,
            description: "CPUID 0x8000001F EAX bit 1: the CPU implements SEV",
            hint: "SEV needs EPYC 7001 (Naples) or later",
            children: [
                firmwareVersion, es, sevInitialized, snp,
                physicalBitReduction, cbitLocation, encryptedGuests, minimumASID,
                devSEVReadable, devSEVWritable,
            ]
        ) { context in
            context.memoryEncryption.eax & (1 << 1) != 0 ? .pass() : .fail(hint: context.guestHint)
        }
    }

    static var es: HostCheck {
        HostCheck(
            id: "sev-es", name: "Encrypted State (SEV-ES)", generation: .es, category: .cpuSupport,
            description: "CPUID 0x8000001F EAX bit 3: the CPU implements SEV-ES",
            hint: "SEV-ES needs EPYC 7002 (Rome) or later",
            children: [esInitialized]
        ) { context in
            .check(context.memoryEncryption.eax & (1 << 3) != 0)
        }
    }

    static var snp: HostCheck {
        HostCheck(
            id: "sev-snp", name: "Secure Nested Paging (SEV-SNP)", generation: .snp, category: .cpuSupport,
            description: "CPUID 0x8000001F EAX bit 4: the CPU implements SEV-SNP",
            hint: "SEV-SNP needs EPYC 7003 (Milan) or later",
            children: [vmpl, snpEnabled, snpInitialized]
        ) { context in
            .check(context.memoryEncryption.eax & (1 << 4) != 0)
        }
    }

    static var vmpl: HostCheck {
        HostCheck(
            id: "vmpl", name: "VM Permission Levels", generation: .snp, category: .cpuSupport,
            description: "CPUID 0x8000001F EAX bit 5: the CPU implements VMPLs",
            hint: "Update the BIOS; every SNP-capable EPYC implements VMPLs",
            children: [vmplCount]
        ) { context in
            .check(context.memoryEncryption.eax & (1 << 5) != 0)
        }
    }

    static var vmplCount: HostCheck {
        HostCheck(
            id: "vmpl-count", name: "Number of VMPLs", generation: .snp, category: .cpuInfo,
            description: "CPUID 0x8000001F EBX bits 15:12: how many VMPLs there are (4 on EPYC)",
            hint: "Informational"
        ) { context in
            .pass(String((context.memoryEncryption.ebx >> 12) & 0xf))
        }
    }

    static var snpEnabled: HostCheck {
        HostCheck(
            id: "snp-enabled-in-msr", name: "SEV-SNP", generation: .snp, category: .biosConfigured,
            description: "MSR 0xC0010010 (SYSCFG) bit 24: SNP is enabled by the BIOS",
            hint: "Enable SEV-SNP and SNP Memory Coverage in the BIOS (CBS > CPU Common Options) and reboot"
        ) { context in
            syscfgBit(context, bit: 24, name: "SNP")
        }
    }

    static var rmpTable: HostCheck {
        HostCheck(
            id: "rmp-table-addresses", name: "Read RMP tables", generation: .snp, category: .biosConfigured,
            description: "MSRs 0xC0010132/0xC0010133: the base and end of the reverse map table",
            hint: "Enable SNP Memory Coverage in the BIOS so it reserves the RMP"
        ) { context in
            let base = context.probe.msr(MSR.rmpBase), end = context.probe.msr(MSR.rmpEnd)
            switch (base, end) {
            case (.success(let base), .success(let end)) where base != 0 && end != 0:
                return .pass("0x\(String(base, radix: 16)) - 0x\(String(end, radix: 16))", name: "RMP table addresses")
            case (.success, .success):
                return .fail("RMP table was not read successfully", name: "Reading RMP table")
            case (.failure(let failure), _), (_, .failure(let failure)):
                return .fail("Failed to read the desired MSR: \(failure.message)", name: "Reading RMP table", hint: msrHint)
            }
        }
    }

    static var physicalBitReduction: HostCheck {
        HostCheck(
            id: "physical-address-bit-reduction", name: "Physical address bit reduction", generation: .sev,
            category: .cpuInfo,
            description: "CPUID 0x8000001F EBX bits 11:6: physical address bits lost to encryption (QEMU's reduced-phys-bits)",
            hint: "Informational"
        ) { context in
            .pass(String(HostSEVParameters.reducedPhysBits(cpuidEBX: context.memoryEncryption.ebx)))
        }
    }

    static var cbitLocation: HostCheck {
        HostCheck(
            id: "c-bit-location", name: "C-bit location", generation: .sev, category: .cpuInfo,
            description: "CPUID 0x8000001F EBX bits 5:0: the page-table bit marking encrypted pages (QEMU's cbitpos)",
            hint: "Informational"
        ) { context in
            .pass(String(HostSEVParameters.cbitPosition(cpuidEBX: context.memoryEncryption.ebx)))
        }
    }

    static var encryptedGuests: HostCheck {
        HostCheck(
            id: "encrypted-guests", name: "Number of encrypted guests supported simultaneously", generation: .sev,
            category: .cpuInfo,
            description: "CPUID 0x8000001F ECX: how many ASIDs (encrypted guests) the CPU has",
            hint: "Informational"
        ) { context in
            .pass(String(context.memoryEncryption.ecx))
        }
    }

    static var minimumASID: HostCheck {
        HostCheck(
            id: "minimum-sev-asid", name: "Minimum ASID value for SEV-enabled, SEV-ES disabled guest",
            generation: .sev, category: .cpuInfo,
            description: "CPUID 0x8000001F EDX: ASIDs below this are reserved for SEV-ES and SNP guests",
            hint: "Informational"
        ) { context in
            .pass(String(context.memoryEncryption.edx))
        }
    }

    static var devSEVReadable: HostCheck {
        HostCheck(
            id: "dev-sev-readable", name: "/dev/sev readable", generation: .sev, category: .platformInitialized,
            description: "/dev/sev (the ccp driver's firmware interface) opens for reading",
            hint: "Load the ccp module (sudo modprobe ccp) and run as root or a member of /dev/sev's group"
        ) { context in
            let read = context.probe.device("/dev/sev").read
            return read == "ok" ? .pass() : .fail("Not readable: \(read)")
        }
    }

    static var devSEVWritable: HostCheck {
        HostCheck(
            id: "dev-sev-writable", name: "/dev/sev writable", generation: .sev, category: .platformInitialized,
            description: "/dev/sev opens for writing, which every firmware command needs",
            hint: "Run as root, or give the user write access to /dev/sev (its group, or a udev rule)"
        ) { context in
            let write = context.probe.device("/dev/sev").write
            return write == "ok" ? .pass() : .fail("Not writable: \(write)")
        }
    }

    static var pageFlushMSR: HostCheck {
        HostCheck(
            id: "page-flush-msr", name: "Page flush MSR", generation: .sev, category: .cpuInfo,
            description: "CPUID 0x8000001F EAX bit 2: the page flush MSR exists (a faster way to flush encrypted pages)",
            hint: "Informational"
        ) { context in
            let enabled = context.memoryEncryption.eax & (1 << 2) != 0
            return .pass(name: "Page flush MSR: " + (enabled ? "ENABLED" : "DISABLED"))
        }
    }
}
