import CHostProbe
import Foundation
import SEVKit

/// Reads one host, live or captured, through a `HostRoot`.
///
/// The checks of `sevhost ok` are pure functions of what this type answers, so a capture of a
/// host gives exactly the result the live host gives. Answers that are not files come from the
/// hardware when live and from the capture's JSON files otherwise; a capture's JSON is parsed
/// once, up front, so a malformed capture is reported before any check runs.
public struct HostProbe: Sendable {
    public let root: HostRoot
    private let cpuidTable: [CPUIDKey: CPUIDRegisters]?
    private let msrs: CapturedMSRs?
    private let devices: CapturedDevices?
    private let firmware: CapturedFirmware?
    private let tools: CapturedTools?
    private let live = LiveAnswerCache()

    struct CPUIDKey: Hashable, Sendable {
        var leaf: UInt32
        var subleaf: UInt32
    }

    /// Files every capture must hold; without them it is partial and probing it would mislead.
    public static let requiredCapturedFiles = [
        CapturedFile.cpuid, CapturedFile.devices, CapturedFile.tools, "proc/cmdline", "proc/sys/kernel/osrelease",
    ]

    /// `firmware`, when given, answers the firmware commands instead of the host (`sevhost ok
    /// --firmware sim:DIR` asks the simulated firmware up front and passes its answers here).
    public init(root: HostRoot, firmware override: CapturedFirmware? = nil) throws(HostProbeError) {
        self.root = root
        guard root.isCaptured else {
            cpuidTable = nil
            msrs = nil
            devices = nil
            firmware = override
            tools = nil
            return
        }
        for file in Self.requiredCapturedFiles where !root.exists(file) {
            throw HostProbeError(file: root.path(file), reason: "missing: a captured host must hold it (see `sevhost capture`)")
        }
        let cpuid = try root.decodeCaptured(CapturedCPUID.self, CapturedFile.cpuid)
        var table = [CPUIDKey: CPUIDRegisters]()
        for leaf in cpuid?.leaves ?? [] {
            table[CPUIDKey(leaf: leaf.leaf.value, subleaf: leaf.subleaf.value)] = CPUIDRegisters(
                eax: leaf.eax.value, ebx: leaf.ebx.value, ecx: leaf.ecx.value, edx: leaf.edx.value)
        }
        for leaf in [CPUIDLeaf.vendor, CPUIDLeaf.features] where table[CPUIDKey(leaf: leaf, subleaf: 0)] == nil {
            throw HostProbeError(
                file: root.path(CapturedFile.cpuid),
                reason: "leaf 0x\(String(leaf, radix: 16)) is missing (every capture records it)")
        }
        cpuidTable = table
        msrs = try root.decodeCaptured(CapturedMSRs.self, CapturedFile.msr)
        devices = try root.decodeCaptured(CapturedDevices.self, CapturedFile.devices)
        if let override {
            firmware = override
        } else {
            firmware = try root.decodeCaptured(CapturedFirmware.self, CapturedFile.firmware)
        }
        tools = try root.decodeCaptured(CapturedTools.self, CapturedFile.tools)
    }

    // MARK: CPUID

    /// One CPUID leaf. A leaf a capture did not record reads as zero, as an unimplemented leaf
    /// does on hardware (CPUs that hide leaf 0x8000001F return zeros too).
    public func cpuid(_ leaf: UInt32, subleaf: UInt32 = 0) -> CPUIDRegisters {
        if let cpuidTable {
            return cpuidTable[CPUIDKey(leaf: leaf, subleaf: subleaf)] ?? .zero
        }
        if leaf >= 0x8000_0000, leaf > (CPUIDRegisters.live(leaf: CPUIDLeaf.extendedMax, subleaf: 0)?.eax ?? 0) {
            return .zero
        }
        return CPUIDRegisters.live(leaf: leaf, subleaf: subleaf) ?? .zero
    }

    /// The 12-character vendor string (`AuthenticAMD`).
    public var vendor: String {
        let r = cpuid(CPUIDLeaf.vendor)
        let bytes = r.ebx.littleEndianBytes + r.edx.littleEndianBytes + r.ecx.littleEndianBytes
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The processor brand string (`AMD EPYC 7763 64-Core Processor`), trimmed.
    public var brand: String {
        let bytes = CPUIDLeaf.brand.flatMap { leaf -> [UInt8] in
            let r = cpuid(leaf)
            return r.eax.littleEndianBytes + r.ebx.littleEndianBytes + r.ecx.littleEndianBytes + r.edx.littleEndianBytes
        }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    public var signature: CPUSignature { CPUSignature(leaf1EAX: cpuid(CPUIDLeaf.features).eax) }

    /// The EPYC product line, from family and model; nil for other CPUs.
    public var product: AMDProduct? {
        guard vendor == "AuthenticAMD" else { return nil }
        return AMDProduct(family: signature.family, model: signature.model)
    }

    /// The product line, or what CPUID says for a CPU the table does not know.
    public var identification: ProcessorIdentification {
        ProcessorIdentification(family: signature.family, model: signature.model, memoryEncryptionEAX: cpuid(CPUIDLeaf.memoryEncryption).eax)
    }

    /// CPUID 1 ECX bit 31: set by every hypervisor for its guests.
    public var runsUnderHypervisor: Bool { cpuid(CPUIDLeaf.features).ecx & (1 << 31) != 0 }

    // MARK: MSRs

    /// An MSR of CPU 0 (through the msr module's `/dev/cpu/0/msr` when live).
    public func msr(_ register: UInt32) -> Result<UInt64, FirmwareQueryFailure> {
        if root.isCaptured {
            guard let msrs else { return .failure(FirmwareQueryFailure("\(CapturedFile.msr) was not captured")) }
            if let unavailable = msrs.unavailable { return .failure(FirmwareQueryFailure(unavailable)) }
            let key = "0x" + String(register, radix: 16)
            guard let value = msrs.registers?[key] else {
                return .failure(FirmwareQueryFailure("MSR \(key) was not captured"))
            }
            return .success(value.value)
        }
        let path = "/dev/cpu/0/msr"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(FirmwareQueryFailure("\(path): \(HostReadFailure(errno: errno))")) }
        defer { close(fd) }
        var value: UInt64 = 0
        let n = pread(fd, &value, 8, off_t(register))
        guard n == 8 else { return .failure(FirmwareQueryFailure("\(path): \(HostReadFailure(errno: errno))")) }
        return .success(UInt64(littleEndian: value))
    }

    // MARK: Device nodes

    /// Whether a device node opens for reading and for writing, and (for `/dev/kvm`) KVM's API.
    public func device(_ path: String) -> CapturedDevices.Node {
        if root.isCaptured {
            return devices?.nodes[path]
                ?? .init(read: "No such file or directory (os error 2)", write: "No such file or directory (os error 2)")
        }
        return Self.liveDevice(path)
    }

    static func liveDevice(_ path: String) -> CapturedDevices.Node {
        func tryOpen(_ flags: Int32) -> String {
            let fd = open(path, flags | O_CLOEXEC)
            if fd < 0 { return HostReadFailure(errno: errno).description }
            close(fd)
            return "ok"
        }
        var node = CapturedDevices.Node(read: tryOpen(O_RDONLY), write: tryOpen(O_WRONLY))
        var info = stat()
        if stat(path, &info) == 0 {
            node.mode = Self.modeString(info.st_mode)
            node.owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? String(info.st_uid)
            node.group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } ?? String(info.st_gid)
        }
        if path == "/dev/kvm" {
            let fd = open(path, O_RDWR | O_CLOEXEC)
            if fd >= 0 {
                let version = csev_kvm_api_version(fd)
                if version >= 0 { node.apiVersion = Int(version) }
                var attributes: [String: CapturedDevices.Attribute] = [:]
                for (name, number) in KVMSEVAttribute.numbers {
                    var value: UInt64 = 0
                    attributes[name] = csev_kvm_sev_attribute(fd, number, &value) == 0
                        ? .init(value: value) : .init(error: HostReadFailure(errno: errno).description)
                }
                node.sevAttributes = attributes
                close(fd)
            }
        }
        return node
    }

    private static func modeString(_ mode: mode_t) -> String {
        let type: Character = (mode & S_IFMT) == S_IFCHR ? "c" : (mode & S_IFMT) == S_IFDIR ? "d" : "-"
        let letters: [(mode_t, Character)] = [
            (S_IRUSR, "r"), (S_IWUSR, "w"), (S_IXUSR, "x"), (S_IRGRP, "r"), (S_IWGRP, "w"), (S_IXGRP, "x"),
            (S_IROTH, "r"), (S_IWOTH, "w"), (S_IXOTH, "x"),
        ]
        return String(type) + String(letters.map { mode & $0.0 != 0 ? $0.1 : "-" })
    }

    /// A KVM_X86_GRP_SEV device attribute of `/dev/kvm` (`KVMSEVAttribute`).
    public func kvmSEVAttribute(_ name: String) -> Result<UInt64, FirmwareQueryFailure> {
        let node = device("/dev/kvm")
        guard node.read == "ok" || node.sevAttributes != nil else {
            return .failure(FirmwareQueryFailure("/dev/kvm: \(node.read)"))
        }
        guard let attribute = node.sevAttributes?[name] else {
            return .failure(FirmwareQueryFailure("KVM_GET_DEVICE_ATTR \(name) was not captured"))
        }
        if let value = attribute.value { return .success(value.value) }
        return .failure(FirmwareQueryFailure(attribute.error ?? "no answer"))
    }

    // MARK: Firmware

    /// PLATFORM_STATUS. Live queries go through `/dev/sev` (`LinuxSEVFirmware`).
    public func sevPlatformStatus() -> Result<SEVPlatformStatus, FirmwareQueryFailure> {
        if root.isCaptured || firmware != nil {
            guard let firmware else { return .failure(FirmwareQueryFailure("\(CapturedFile.firmware) was not captured")) }
            if let status = firmware.platformStatus { return .success(status) }
            return .failure(FirmwareQueryFailure(firmware.platformStatusError ?? "no platform-status in \(CapturedFile.firmware)"))
        }
        return live.value("platform-status") {
            Result { () throws(SEVFirmwareError) in try LinuxSEVFirmware().platformStatusNow() }
                .mapError { FirmwareQueryFailure($0.description) }
        }
    }

    /// SNP_PLATFORM_STATUS. Live queries go through `/dev/sev` (`LinuxSEVFirmware`).
    public func snpPlatformStatus() -> Result<SNPPlatformStatus, FirmwareQueryFailure> {
        if root.isCaptured || firmware != nil {
            guard let firmware else { return .failure(FirmwareQueryFailure("\(CapturedFile.firmware) was not captured")) }
            if let status = firmware.snpPlatformStatus { return .success(status) }
            return .failure(FirmwareQueryFailure(firmware.snpPlatformStatusError ?? "no snp-platform-status in \(CapturedFile.firmware)"))
        }
        return live.value("snp-platform-status") {
            Result { () throws(SEVFirmwareError) in try LinuxSEVFirmware().snpPlatformStatusNow().summary }
                .mapError { FirmwareQueryFailure($0.description) }
        }
    }

    // MARK: Installed tools

    /// The QEMU system emulator the host would use, and its version.
    public func qemu() -> CapturedTools.QEMU {
        if root.isCaptured { return tools?.qemu ?? .init(error: "\(CapturedFile.tools) was not captured") }
        return live.value("qemu") { QEMUInstallation.find(in: root) }
    }

    // MARK: Files

    public func text(_ relative: String) -> Result<String, HostReadFailure> { root.readText(relative) }
}

/// The KVM_X86_GRP_SEV attributes the probe asks /dev/kvm for (`<asm/kvm.h>`; the 6.12 header
/// names only the first, so the numbers are the kernel's documented ones).
public enum KVMSEVAttribute {
    /// KVM_X86_SEV_VMSA_FEATURES: the SEV features KVM_SEV_INIT2 accepts (bit 9 Secure TSC).
    public static let vmsaFeatures = "vmsa-features"
    /// KVM_X86_SNP_POLICY_BITS (1, Linux 6.19): the SNP policy bits SNP_LAUNCH_START accepts.
    public static let snpPolicyBits = "snp-policy-bits"
    /// KVM_X86_SEV_SNP_REQ_CERTS: 1 when the kernel offers KVM_EXIT_SNP_REQ_CERTS.
    public static let snpRequestCertificates = "snp-req-certs"
    static let numbers: [(String, UInt64)] = [(vmsaFeatures, 0), (snpPolicyBits, 1), (snpRequestCertificates, 2)]
}
