import Foundation
import SEVKit

/// Every consistency check `sevhost launch` makes of a spec, and the refusals QEMU, KVM and the
/// firmware would make later, applied to a launch sevhost did not write (`LaunchDescription`).
///
/// Each rule cites where the refusal comes from; a finding names the element or option and the
/// fix in the input's own terms. The policy and firmware rules are the builder's
/// (`LaunchPlan.check`): the same predicates (`SNPGuestPolicy`, `FirmwareFacts`,
/// `KVMSNPPolicyBits`, `SEVVMType`), applied to what the user wrote instead of to a spec.
public struct LaunchRules: Sendable {
    public var launch: LaunchDescription
    public var host: LaunchCheckHost
    /// The firmware image's facts; nil when it could not be read (`firmwareProblem` says why).
    public var firmware: FirmwareFacts?
    public var firmwareProblem: String?
    /// The SNP launch digest the firmware will compute for these inputs, or why it cannot be
    /// predicted here; nil when the launch has no ID block.
    public var snpDigest: Result<[UInt8], LaunchCheckInputError>?

    public init(launch: LaunchDescription, host: LaunchCheckHost, firmware: FirmwareFacts?, firmwareProblem: String? = nil,
                snpDigest: Result<[UInt8], LaunchCheckInputError>? = nil) {
        self.launch = launch
        self.host = host
        self.firmware = firmware
        self.firmwareProblem = firmwareProblem
        self.snpDigest = snpDigest
    }

    private var findings: [LaunchFinding] = []

    /// Every finding, in the order a launch would meet them.
    public func evaluate() -> [LaunchFinding] {
        var rules = self
        rules.findings = []
        rules.run()
        return rules.findings
    }

    private mutating func add(_ rule: String, _ severity: LaunchFinding.Severity, _ subject: LaunchDescription.Subject, _ problem: String, fix: String?) {
        findings.append(LaunchFinding(rule: rule, severity: severity, location: launch.name(of: subject), problem: problem, fix: fix))
    }

    /// QEMU's refusal of an -object member its type does not have (QAPI's visitors, as QEMU 10
    /// prints it): the key=value form and the JSON form are worded differently.
    static func unknownParameter(_ name: String, json: Bool) -> String {
        json ? "\"Parameter '\(name)' is unexpected\"" : "\"Invalid parameter '\(name)'\""
    }

    /// The fix, worded for the input's format.
    private func fix(libvirt: String, qemu: String) -> String { launch.format == .libvirt ? libvirt : qemu }

    private mutating func run() {
        guard let type = launch.type else {
            add("no-launch-security", .error, .launchSecurity,
                launch.format == .qemu ? "no -object sev-guest or sev-snp-guest: the guest would run unencrypted"
                    : launch.unknownProperties.first.map { "<launchSecurity \($0)> is not an SEV launch: sevhost checks type='sev' and type='sev-snp'" }
                    ?? "the domain has no <launchSecurity type='sev'> or type='sev-snp': the guest would run unencrypted",
                fix: fix(libvirt: "add <launchSecurity type='sev-snp'> (or type='sev') with a <policy>", qemu: "add -object sev-snp-guest,id=sev0,… and -machine confidential-guest-support=sev0"))
            return
        }
        checkObject(type)
        guard let policy = policy(type) else { return }
        checkPolicy(policy, type: type)
        checkHost(type)
        checkFirmware(type)
        checkMachine(type)
        checkVMType(type)
        if type == .sevSNP { checkIDBlock(policy) } else { checkSession() }
    }

    // MARK: - the object itself

    private mutating func checkObject(_ type: ConfidentialType) {
        for name in launch.unknownProperties {
            add("unknown-property", .error, .property(name),
                launch.format == .qemu
                    ? "\(launch.guestObjectSpelling ?? "the object") has no property '\(name)': QEMU stops with \(Self.unknownParameter(name, json: launch.guestObjectIsJSON))"
                    : "libvirt has no launchSecurity \(name)",
                fix: name == "legacy-vm-type" ? "remove it: SEV-SNP guests are always created with KVM_SEV_INIT2" : "remove it; see sevhost-spec(5) for what each type takes")
        }
        guard launch.format == .qemu else { return }
        if launch.confidentialGuestSupport == nil || launch.confidentialGuestSupport != launch.guestObjectID {
            let named = launch.confidentialGuestSupport.map { "names '\($0)'" } ?? "is not set"
            add("guest-object", .error, .guestObject,
                "-machine confidential-guest-support \(named), but the object's id is '\(launch.guestObjectID ?? "")': QEMU would not use it, and the guest would run unencrypted or QEMU stops",
                fix: "-machine …,confidential-guest-support=\(launch.guestObjectID ?? "sev0") (and id=\(launch.guestObjectID ?? "sev0") on the object)")
        }
    }

    // MARK: - policy

    private mutating func policy(_ type: ConfidentialType) -> GuestPolicy? {
        guard let text = launch.policyText else {
            let policy = GuestPolicy.defaultPolicy(for: type)
            return type == .sevES ? .sev(SEVGuestPolicy(rawValue: 0x5)) : policy
        }
        guard let raw = try? IntegerText.parse(text, as: UInt64.self) else {
            add("policy", .error, .policy, "'\(text.prefix(40))' is not a number", fix: "write the policy as hex (0x30000) or decimal")
            return nil
        }
        if type == .sevSNP { return .snp(SNPGuestPolicy(rawValue: raw)) }
        guard raw <= UInt64(UInt32.max) else {
            add("policy", .error, .policy, "\(text) does not fit the 32-bit SEV policy", fix: "an SEV policy has 32 bits (sevhost policy explain)")
            return nil
        }
        return .sev(SEVGuestPolicy(rawValue: UInt32(raw)))
    }

    private mutating func checkPolicy(_ policy: GuestPolicy, type: ConfidentialType) {
        switch policy {
        case .snp(let snp):
            if !snp.hasReservedOne {
                // Linux snp_launch_start: !(policy & SNP_POLICY_MASK_RSVD_MBO) → -EINVAL.
                add("policy-bit-17", .error, .policy,
                    "SNP policy \(snp.hex) lacks bit 17, which must be 1: KVM refuses SNP_LAUNCH_START (ret=-22 fw_error=0)",
                    fix: "set bit 17: \(SNPGuestPolicy(rawValue: snp.rawValue | SNPGuestPolicy.reservedOneMask).hex)")
            }
            if snp.reservedBits != 0 {
                add("policy-reserved", .error, .policy,
                    "SNP policy \(snp.hex) sets reserved bits 0x\(String(snp.reservedBits, radix: 16)) (63:26): KVM refuses SNP_LAUNCH_START (ret=-22 fw_error=0)",
                    fix: "clear them: \(SNPGuestPolicy(rawValue: snp.rawValue & ~SNPGuestPolicy.reservedZeroMask).hex)")
            }
            if let bits = host.snpPolicyBits {
                let refused = bits.refusedBits(of: snp.rawValue).filter { $0 < 26 && $0 != 17 }
                if !refused.isEmpty {
                    let names = refused.map(KVMSNPPolicyBits.describe(bit:)).joined(separator: ", ")
                    add("kvm-policy-bits", .error, .policy,
                        "SNP policy \(snp.hex) sets \(names), which this host's KVM does not accept (\(bits.hex), \(bits.source.rawValue)): SNP_LAUNCH_START fails with ret=-22 fw_error=0",
                        fix: "clear \(refused.count == 1 ? "it" : "them"): \(SNPGuestPolicy(rawValue: snp.rawValue & bits.mask | SNPGuestPolicy.reservedOneMask).hex), or run on a kernel and firmware that accept \(refused.count == 1 ? "it" : "them")")
                }
            }
            if snp.allowsDebug {
                add("debug", .warning, .policy, "SNP policy \(snp.hex) sets DEBUG (bit 19): the hypervisor can decrypt the guest's memory, and reports say so",
                    fix: "clear bit 19 for a production guest: \(SNPGuestPolicy(rawValue: snp.rawValue & ~SNPGuestPolicy.debug.mask).hex)")
            }
            if host.smtActive == true, !snp.contains(SNPGuestPolicy.smt) {
                // SNP ABI 56860, SNP_LAUNCH_START: SMT enabled and POLICY.SMT 0 → POLICY_FAILURE.
                add("smt", .error, .policy,
                    "SNP policy \(snp.hex) does not allow SMT (bit 16) and SMT is on on this host: SNP_LAUNCH_START fails with POLICY_FAILURE (fw_error=7)",
                    fix: "set bit 16: \(SNPGuestPolicy(rawValue: snp.rawValue | SNPGuestPolicy.smt.mask).hex), or turn SMT off (echo off > /sys/devices/system/cpu/smt/control)")
            }
            if let version = host.firmwareVersion, (snp.abiMajor, snp.abiMinor) > (version.major, version.minor) {
                add("abi-minimum", .error, .policy,
                    "SNP policy \(snp.hex) requires firmware ABI \(snp.abiMajor).\(snp.abiMinor) (bits 15:0) and this host runs \(version.major).\(version.minor): SNP_LAUNCH_START fails with POLICY_FAILURE (fw_error=7)",
                    fix: "lower the policy's ABI to \(version.major).\(version.minor) or update the SEV firmware")
            }
        case .sev(let sev):
            if sev.reservedBits != 0 {
                add("policy-reserved", .error, .policy,
                    "SEV policy \(sev.hex) sets reserved bits 0x\(String(sev.reservedBits, radix: 16)) (15:6), which must be zero: LAUNCH_START refuses it",
                    fix: "clear them: 0x\(String(sev.rawValue & ~SEVGuestPolicy.reservedMask, radix: 16))")
            }
            if sev.allowsDebug {
                add("debug", .warning, .policy, "SEV policy \(sev.hex) allows debugging (NODBG, bit 0, is clear): the hypervisor can decrypt guest memory",
                    fix: "set bit 0: 0x\(String(sev.rawValue | 1, radix: 16))")
            }
            if let version = host.firmwareVersion, (sev.apiMajor, sev.apiMinor) > (version.major, version.minor) {
                add("abi-minimum", .error, .policy,
                    "SEV policy \(sev.hex) requires firmware API \(sev.apiMajor).\(sev.apiMinor) (bits 31:16) and this host runs \(version.major).\(version.minor): LAUNCH_START fails with POLICY_FAILURE (fw_error=7)",
                    fix: "lower the policy's API version to \(version.major).\(version.minor) or update the SEV firmware")
            }
        }
    }

    // MARK: - host

    private mutating func checkHost(_ type: ConfidentialType) {
        let generation: SEVGeneration = type == .sevSNP ? .snp : type == .sevES ? .es : .sev
        let parameter = generation == .snp ? "sev_snp" : generation == .es ? "sev_es" : "sev"
        if host.kvmEnabled[generation] == false {
            add("host-kvm", .error, .launchSecurity,
                "kvm_amd has \(parameter) off on this host: KVM cannot create \(generation.displayName) guests",
                fix: "load kvm_amd with \(parameter)=1 (sevhost ok \(generation.rawValue) says what else is missing)")
        }
        if let left = host.asidsLeft[generation], left <= 0 {
            add("asids", .error, .launchSecurity,
                "no \(generation.displayName) ASID is free on this host: KVM_SEV_INIT fails (EBUSY, or ENOTTY when the range is empty)",
                fix: "stop a guest of the same kind, or raise the BIOS's SEV-ES ASID space limit (sevhost ok shows the split)")
        }
        if let sev = host.sev {
            if let text = launch.cbitpos {
                if Int(text) != sev.cbitPosition {
                    // QEMU sev_common_kvm_init: "cbitpos check failed, host '51' requested '47'".
                    add("cbitpos", .error, .cbitpos, "cbitpos \(text) is not this host's \(sev.cbitPosition): QEMU stops with \"cbitpos check failed\"",
                        fix: fix(libvirt: "<cbitpos>\(sev.cbitPosition)</cbitpos>, or leave it out and libvirt fills it in", qemu: "cbitpos=\(sev.cbitPosition)"))
                }
            } else if launch.format == .qemu {
                add("cbitpos", .error, .cbitpos, "cbitpos is not given: QEMU stops with \"cbitpos check failed, host '\(sev.cbitPosition)' requested '0'\"",
                    fix: "cbitpos=\(sev.cbitPosition)")
            }
            if let text = launch.reducedPhysBits {
                if let value = Int(text), value >= 1, value <= sev.reducedPhysBits { } else {
                    add("reduced-phys-bits", .error, .reducedPhysBits,
                        "reduced-phys-bits \(text) is not between 1 and this host's \(sev.reducedPhysBits): QEMU stops with \"reduced-phys-bits check failed\"",
                        fix: fix(libvirt: "<reducedPhysBits>\(sev.reducedPhysBits)</reducedPhysBits>", qemu: "reduced-phys-bits=\(sev.reducedPhysBits)"))
                }
            } else if launch.format == .qemu {
                add("reduced-phys-bits", .error, .reducedPhysBits, "reduced-phys-bits is not given: QEMU stops with \"reduced-phys-bits check failed\"",
                    fix: "reduced-phys-bits=\(sev.reducedPhysBits)")
            }
        }
    }

    // MARK: - firmware

    private mutating func checkFirmware(_ type: ConfidentialType) {
        if type == .sevSNP, launch.firmwareMapping == .pflash {
            // QEMU pc_system_firmware_init; KVM has no read-only memslots for SNP VMs (AMDSEV#223, #253).
            add("snp-pflash", .error, .firmware,
                "SEV-SNP firmware is measured as ROM; from pflash QEMU 9.1 and later stop with \"pflash with kvm requires KVM readonly memory support\" (older SNP QEMU failed at SNP_LAUNCH_START with ret=-22 fw_error=0)",
                fix: fix(libvirt: "<loader type='rom'>\(launch.firmwarePath ?? "OVMF.fd")</loader> and no <nvram>", qemu: "-bios \(launch.firmwarePath ?? "OVMF.fd") instead of the pflash drives"))
        }
        if type == .sevSNP, launch.variableStore != nil, launch.firmwareMapping != .pflash {
            add("snp-pflash", .error, .variableStore, "an SNP guest has no pflash variable store (it would be a pflash device, which SNP cannot map)",
                fix: fix(libvirt: "remove <nvram>", qemu: "remove the unit 1 pflash drive"))
        }
        if type == .sevES, launch.firmwareMapping == .pflash, (try? SEVVMType(qemuPropertyValue: launch.legacyVMType)) == .init2 {
            // KVM_CAP_READONLY_MEM is 0 for VM types with protected state (KVM_X86_SEV_ES_VM).
            add("es-init2-pflash", .error, .firmware,
                "legacy-vm-type=off creates a KVM_X86_SEV_ES_VM, which has no read-only memslots: QEMU stops with \"pflash with kvm requires KVM readonly memory support\"",
                fix: "-bios \(launch.firmwarePath ?? "OVMF.fd"), or legacy-vm-type=on")
        }
        guard let facts = firmware else {
            if let firmwareProblem {
                add("firmware-unread", .warning, .firmware, "\(firmwareProblem): the firmware's SEV metadata, SEV-ES reset block and hash tables were not checked",
                    fix: "run check where the file is, or on a capture of that host")
            } else if launch.firmwarePath == nil {
                add("firmware-unread", .warning, .firmware,
                    launch.format == .libvirt
                        ? "no firmware file is named (libvirt picks one): its SEV metadata was not checked"
                        : "no firmware is named: QEMU loads its default bios.bin (SeaBIOS), which is not an OVMF built for SEV; nothing was checked",
                    fix: fix(libvirt: "name the loader file", qemu: "name the OVMF with -bios"))
            }
            return
        }
        let path = launch.firmwarePath ?? "the firmware"
        if type == .sevSNP, !facts.hasSEVMetadata {
            add("firmware-metadata", .error, .firmware, "\(path) has no SEV metadata, which an SNP launch needs: QEMU stops (\"Failed to locate SEV metadata header\")",
                fix: "use an OVMF built for SEV (Debian's 2 MiB OVMF.fd, or OvmfPkg/AmdSev)")
        }
        if type != .sev, !facts.supportsSEVES {
            add("firmware-es", .error, .firmware, "\(path) has no SEV-ES reset block: the application processors of an \(type == .sevSNP ? "SEV-SNP" : "SEV-ES") guest cannot start",
                fix: "use an OVMF built with SEV-ES support")
        }
        if launch.kernelHashes {
            let missing: String?
            if !facts.hasSEVHashTable {
                // QEMU sev_add_kernel_loader_hashes (AMDSEV#262).
                missing = "no SEV hashes table area: QEMU stops with \"SEV: guest firmware hashes table area is invalid (base=0x0 size=0x0)\" (or \"has no hashes table GUID\")"
            } else if type == .sevSNP, !facts.hasSNPKernelHashes {
                missing = "no SNP_KERNEL_HASHES section in its SEV metadata, so the hashes page would not be measured"
            } else {
                missing = nil
            }
            if let missing {
                add("kernel-hashes", .error, .kernelHashes, "\(path) has \(missing)",
                    fix: "use an OVMF built from OvmfPkg/AmdSev/AmdSevX64.dsc, or turn kernel hashes off")
            }
        }
        if launch.kernelHashes, launch.kernel == nil {
            add("kernel-hashes", .warning, .kernelHashes, "kernel hashes are on but nothing is booted directly: nothing is hashed into the measurement",
                fix: fix(libvirt: "add <kernel> (and <initrd>, <cmdline>) to <os>", qemu: "add -kernel (and -initrd, -append)"))
        }
    }

    // MARK: - QEMU's machine wiring for SNP

    private mutating func checkMachine(_ type: ConfidentialType) {
        guard type == .sevSNP else { return }
        let irqchip = launch.kernelIRQChip
        if irqchip != "split" {
            add("snp-irqchip", .warning, .irqchip,
                "\(irqchip.map { "kernel-irqchip=\($0)" } ?? "the in-kernel IOAPIC (kernel-irqchip defaults to on)"): the launch builder gives SNP guests the split IRQ chip (the IOAPIC in QEMU), which this launch does not have",
                fix: fix(libvirt: "<features><ioapic driver='qemu'/></features>", qemu: "-machine …,kernel-irqchip=split"))
        }
        guard launch.format == .qemu else { return }
        guard let id = launch.memoryBackend else {
            add("snp-memory-backend", .warning, .memoryBackend, "no memory-backend: guest RAM is QEMU's default, not the memfd backend the launch builder uses for the shared half of SNP memory",
                fix: "-object memory-backend-memfd,id=ram0,size=<-m>,share=on -machine memory-backend=ram0")
            return
        }
        guard let backend = launch.memoryBackends[id] else {
            add("snp-memory-backend", .error, .memoryBackend, "memory-backend=\(id) names no -object: QEMU stops",
                fix: "-object memory-backend-memfd,id=\(id),size=<-m>,share=on")
            return
        }
        if let size = backend.size, let memory = launch.memoryBytes, size != memory {
            add("snp-memory-backend", .error, .memoryBackend,
                "\(backend.type) \(id) is \(size) bytes and -m is \(memory): QEMU stops (the backend must be all of guest RAM)",
                fix: "size=\(memory / (1 << 20))M on the backend, the same as -m")
        }
    }

    // MARK: - VM type (SEV, SEV-ES)

    private mutating func checkVMType(_ type: ConfidentialType) {
        guard type != .sevSNP else { return }
        let vmType: SEVVMType
        do {
            vmType = try SEVVMType(qemuPropertyValue: launch.legacyVMType)
        } catch {
            add("vm-type", .error, .vmType, "\(error.description): QEMU stops", fix: "legacy-vm-type=on (KVM_SEV_INIT/KVM_SEV_ES_INIT) or off (KVM_SEV_INIT2)")
            return
        }
        if launch.legacyVMType != nil, let qemu = host.qemu, qemu < SEVVMType.firstQEMUWithProperty {
            add("vm-type", .error, .vmType,
                "QEMU \(qemu) has no legacy-vm-type (it arrived in \(SEVVMType.firstQEMUWithProperty)): it stops with \(Self.unknownParameter("legacy-vm-type", json: launch.guestObjectIsJSON))",
                fix: "remove legacy-vm-type (this QEMU always creates the legacy type) or install QEMU 9.1 or later")
        }
        guard type == .sevES else { return }
        let how = launch.format == .libvirt
            ? "libvirt sets no legacy-vm-type, so QEMU creates the \(vmType.rawValue) VM type"
            : launch.legacyVMType == nil ? "legacy-vm-type is not set (auto): QEMU 9.1 to 10.1 create the \(vmType.rawValue) VM type" : "legacy-vm-type=\(launch.legacyVMType!) creates the \(vmType.rawValue) VM type"
        let vmsa = vmType == .legacy
            ? "KVM_SEV_ES_INIT leaves each VMSA's x87 control word and MXCSR zero"
            : "KVM_SEV_INIT2 puts FCW 0x37f and MXCSR 0x1f80 in each VMSA"
        add("vm-type", .note, .vmType, "\(how); \(vmsa), so the SEV-ES launch measurement depends on it",
            fix: "predict the measurement with vm-type \(vmType.rawValue) (sevhost digest --vm-type \(vmType.rawValue), spec confidential.vm-type)")
    }

    // MARK: - SEV session, SNP identity

    private mutating func checkSession() {
        if (launch.dhCert == nil) != (launch.session == nil) {
            add("session", .error, launch.dhCert == nil ? .dhCert : .session,
                "LAUNCH_START takes the guest owner's DH certificate and session together; one without the other fails",
                fix: fix(libvirt: "give both <dhCert> and <session>, or neither", qemu: "give both dh-cert-file and session-file, or neither"))
        }
    }

    private mutating func checkIDBlock(_ policy: GuestPolicy) {
        func decode(_ text: String?, _ subject: LaunchDescription.Subject, _ length: Int) -> [UInt8]?? {
            guard let text else { return .some(nil) }
            guard let data = Data(base64Encoded: text) else {
                add("snp-blob", .error, subject, "is not base64: QEMU stops", fix: "write the base64 of the \(length)-byte structure")
                return nil
            }
            guard data.count == length else {
                add("snp-blob", .error, subject, "decodes to \(data.count) bytes; QEMU needs \(length)", fix: "write the base64 of exactly \(length) bytes")
                return nil
            }
            return .some([UInt8](data))
        }
        guard let block = decode(launch.idBlock, .idBlock, IDBlock.size),
              let auth = decode(launch.idAuth, .idAuth, IDAuthInfo.size),
              decode(launch.hostData, .hostData, 32) != nil,
              decode(launch.guestVisibleWorkarounds, .guestVisibleWorkarounds, 16) != nil
        else { return }
        if auth != nil, block == nil {
            add("snp-id-auth", .error, .idAuth, "an ID authentication structure without an ID block authenticates nothing", fix: "add the ID block it signs, or remove it")
        }
        if launch.authorKeyEnabled, auth == nil {
            add("snp-id-auth", .error, .authorKey, "the author key is enabled without ID authentication, which carries the key", fix: "add the ID auth structure, or turn the author key off")
        }
        guard let block else { return }
        if auth == nil {
            add("snp-id-auth", .error, .idBlock, "an ID block without its ID authentication structure: SNP_LAUNCH_FINISH cannot check its signature", fix: "add the ID auth structure snp-create-id-block (or sevhost id-block) wrote with it")
        }
        let verdict = IDBlockVerdict(block: block, launchPolicy: policy.rawValue, predictedDigest: snpDigest)
        switch verdict.outcome {
        case .passes:
            break
        case .badMeasurement(let signed, let predicted):
            add("id-block", .error, .idBlock,
                "the ID block was signed for launch digest \(signed.prefix(16))… and these inputs measure \(predicted.prefix(16))…: SNP_LAUNCH_FINISH fails with BAD_MEASUREMENT (fw_error=11)\(verdict.policyAlsoDiffers ? "; its policy differs too, which the firmware checks only after the digest" : "")",
                fix: "sign a new ID block for this firmware, vCPU count, vCPU model and kernel hashes (sevhost id-block), or launch the inputs it was signed for")
        case .policyFailure(let blockPolicy):
            add("id-block", .error, .idBlock,
                "the ID block's policy 0x\(String(blockPolicy, radix: 16)) is not the launch policy \(policy.hex): SNP_LAUNCH_FINISH fails with POLICY_FAILURE (fw_error=7)\(verdict.digestChecked ? " (its digest matches)" : "")",
                fix: "launch with policy 0x\(String(blockPolicy, radix: 16)), or sign a new ID block for \(policy.hex)")
        case .digestUnknown(let reason):
            add("id-block", .warning, .idBlock, "its launch digest was not compared (\(reason)); the policies match", fix: nil)
        }
    }
}
