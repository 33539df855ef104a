import SEVKit

/// Checks that ask the SEV firmware (PLATFORM_STATUS and SNP_PLATFORM_STATUS).
extension HostChecks {
    static let firmwareHint = "Run as root with /dev/sev present (sudo modprobe ccp), with kvm_amd loaded so the firmware is initialized"

    /// SEV-SNP needs SEV firmware 1.51 or later.
    static let minimumSNPFirmware = DottedVersion(1, 51)

    static var firmwareVersion: HostCheck {
        HostCheck(
            id: "sev-firmware-version", name: "SEV Firmware Version", generation: .sev, category: .biosConfigured,
            description: "PLATFORM_STATUS API version, compared as major.minor (SEV-SNP needs 1.51 or later)",
            hint: "Update the BIOS (it carries the SEV firmware) or load a newer firmware into /lib/firmware/amd"
        ) { context in
            let name = "SEV firmware version"
            switch context.probe.sevPlatformStatus() {
            case .failure(let failure):
                return .fail("Failed to get SEV Platform Status: \(failure.message)", name: name, hint: firmwareHint)
            case .success(let status):
                let version = DottedVersion(Int(status.apiMajor), Int(status.apiMinor))
                if version == DottedVersion(0, 0) {
                    return .fail("Invalid Firmware version: \(status.version)", name: name)
                }
                if context.generation == .snp, version < minimumSNPFirmware {
                    return .fail(
                        "SEV firmware version needs to be at least \(minimumSNPFirmware), current firmware version: \(status.version)",
                        name: name)
                }
                return .pass(status.version, name: name)
            }
        }
    }

    static var esInitialized: HostCheck {
        HostCheck(
            id: "sev-es-initialized", name: "SEV-ES initialized", generation: .es, category: .platformInitialized,
            description: "PLATFORM_STATUS flags bit 8: the firmware initialized SEV-ES",
            hint: "Load kvm_amd with sev_es=1 (the kernel initializes the firmware for SEV-ES)"
        ) { context in
            switch context.probe.sevPlatformStatus() {
            case .failure(let failure):
                return .fail("Failed to get SEV Platform Status: \(failure.message)", hint: firmwareHint)
            case .success(let status):
                return .check(status.isESInitialized)
            }
        }
    }

    static var sevInitialized: HostCheck {
        HostCheck(
            id: "sev-initialized", name: "SEV initialized", generation: .sev, category: .platformInitialized,
            description: "PLATFORM_STATUS state is INIT or WORKING",
            hint: "Load kvm_amd with sev=1; the kernel initializes the SEV firmware when it loads"
        ) { context in
            switch context.probe.sevPlatformStatus() {
            case .failure(let failure):
                return .fail("Failed to get SEV Platform Status: \(failure.message)", hint: firmwareHint)
            case .success(let status):
                switch status.state {
                case .working: return .pass("Initialized, currently running a guest")
                case .initialized: return .pass("Initialized, no guests running")
                case .uninitialized: return .fail("Uninitialized")
                }
            }
        }
    }

    static var snpInitialized: HostCheck {
        HostCheck(
            id: "snp-initialized", name: "SNP initialized", generation: .snp, category: .platformInitialized,
            description: "SNP_PLATFORM_STATUS state is INIT",
            hint: "Load kvm_amd with sev_snp=1 on kernel 6.11 or later, with SNP enabled in the BIOS and SEV firmware 1.51 or later",
            children: [rmpTable, rmpInitialized, aliasCheck]
        ) { context in
            switch context.probe.snpPlatformStatus() {
            case .failure(let failure):
                return .fail("Failed to get SNP Platform status: \(failure.message)", hint: firmwareHint)
            case .success(let status):
                return .check(status.state == .initialized)
            }
        }
    }

    static var rmpInitialized: HostCheck {
        HostCheck(
            id: "rmp-initialized", name: "RMP table initialized", generation: .snp, category: .platformInitialized,
            description: "SNP_PLATFORM_STATUS: the firmware initialized the reverse map table (IS_RMP_INIT)",
            hint: "Reboot after a firmware update; the kernel must be built with CONFIG_KVM_AMD_SEV"
        ) { context in
            snpStatusBit(context) { $0.rmpInitialized }
        }
    }

    static var aliasCheck: HostCheck {
        HostCheck(
            id: "alias-check", name: "Alias check", generation: .snp, category: .compliance,
            description: "SNP_PLATFORM_STATUS: the memory alias check completed (ALIAS_CHECK_COMPLETE, AMD-SB-3015)",
            hint: "Update the BIOS and SEV firmware to the releases of AMD-SB-3015, then reboot"
        ) { context in
            snpStatusBit(context, passMessage: "Completed since last system update, no aliasing addresses") {
                $0.aliasCheckComplete
            }
        }
    }

    /// A flag of SNP_PLATFORM_STATUS, read as its own bit (RMP init and alias check are two).
    static func snpStatusBit(
        _ context: CheckContext, passMessage: String? = nil, _ bit: (SNPPlatformStatus) -> Bool
    ) -> CheckOutcome {
        switch context.probe.snpPlatformStatus() {
        case .failure(let failure):
            return .fail("Failed to get SNP Platform status: \(failure.message)", hint: firmwareHint)
        case .success(let status):
            return bit(status) ? .pass(passMessage) : .fail()
        }
    }

    static var compareTCB: HostCheck {
        HostCheck(
            id: "compare-tcb", name: "Compare TCB values", generation: .snp, category: .compliance,
            description: "SNP_PLATFORM_STATUS: the reported TCB (in attestation reports) equals the platform's TCB",
            hint: "Commit the running firmware (sevhost snp commit) or set the reported TCB (sevhost snp config set)"
        ) { context in
            let name = "Comparing TCB values"
            switch context.probe.snpPlatformStatus() {
            case .failure(let failure):
                return .fail("Failed to get SNP Platform status: \(failure.message)", name: name, hint: firmwareHint)
            case .success(let status):
                let layout = context.probe.identification.tcbLayout
                let platform = TCBVersion(raw: status.platformTCB.value, layout: layout)
                let reported = TCBVersion(raw: status.reportedTCB.value, layout: layout)
                if platform == reported {
                    return .pass("TCB versions match (platform and reported: \(platform))", name: name)
                }
                return .fail("The TCB versions did NOT match (platform: \(platform); reported: \(reported))", name: name)
            }
        }
    }
}
