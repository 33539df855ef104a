import Foundation
import SEVKit

/// What the host allows a launch, read once for `ok`, `show` and `check` alike: the SNP policy
/// bits KVM accepts, how the ASIDs are split and how many are in use, whether SMT is on, and the
/// SEV firmware file the kernel offers at boot.
extension HostProbe {
    /// The kvm_amd parameter that splits the SEV-ES/SNP ASIDs (Linux 6.18 and later).
    static let ciphertextHidingParameter = "sys/module/kvm_amd/parameters/ciphertext_hiding_asids"

    /// The SNP policy bits KVM accepts: KVM_X86_SNP_POLICY_BITS, or, when the kernel answers
    /// ENXIO (no such attribute before Linux 6.19) and kvm_amd has SEV-SNP on, the fixed mask
    /// those kernels check. Any other failure (no /dev/kvm, not captured) is returned as it is.
    public func snpPolicyBits() -> Result<KVMSNPPolicyBits, FirmwareQueryFailure> {
        switch kvmSEVAttribute(KVMSEVAttribute.snpPolicyBits) {
        case .success(let mask): return .success(KVMSNPPolicyBits(mask: mask, source: .deviceAttribute))
        case .failure(let failure) where failure.message.contains("(os error \(ENXIO))"):
            guard case .success(let text) = root.readText("sys/module/kvm_amd/parameters/sev_snp"),
                  ["1", "Y"].contains(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                return .failure(FirmwareQueryFailure("not offered (Linux before 6.19) and kvm_amd sev_snp is not on: KVM accepts no SNP policy"))
            }
            return .success(.beforeLinux619)
        case .failure(let failure): return .failure(failure)
        }
    }

    /// KVM's ASID ranges, from CPUID 0x8000001F and the ciphertext-hiding parameter; nil when
    /// the CPU reports no ASIDs (no SEV, or the leaf hidden).
    public var asidSplit: ASIDSplit? {
        let leaf = cpuid(CPUIDLeaf.memoryEncryption)
        guard leaf.ecx != 0 else { return nil }
        var hidden: UInt32?
        if case .success(let text) = root.readText(Self.ciphertextHidingParameter) {
            hidden = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return ASIDSplit(maxASID: leaf.ecx, minSEVASID: leaf.edx, ciphertextHidingASIDs: hidden)
    }

    /// ASIDs charged to the misc cgroup controller (`sev`, `sev_es`: SNP guests count as
    /// `sev_es`), from the root cgroup's misc.current; nil when it cannot be read.
    public var asidsInUse: (sev: Int, sevES: Int)? {
        guard case .success(let text) = root.readText("sys/fs/cgroup/misc.current") else { return nil }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
        }
        guard let sev = values["sev"], let sevES = values["sev_es"] else { return nil }
        return (sev, sevES)
    }

    /// /sys/devices/system/cpu/smt/active: whether SMT is on (SNP_LAUNCH_START refuses a
    /// policy without the SMT bit then); nil when unreadable.
    public var smtActive: Bool? {
        guard case .success(let text) = root.readText("sys/devices/system/cpu/smt/active") else { return nil }
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "1": return true
        case "0": return false
        default: return nil
        }
    }

    /// The kernel's log: a capture's `kernel-log.txt`, else /dev/kmsg of this machine.
    public func kernelLog() -> Result<KernelLog, HostReadFailure> {
        if root.isCaptured {
            return root.readHead(CapturedFile.kernelLog, count: KernelLog.byteLimit).map { KernelLog(text: String(decoding: $0, as: UTF8.self)) }
        }
        return KernelLog.readLive()
    }

    /// The firmware file the kernel would send the AMD-SP at boot, and its header's version.
    public struct SEVFirmwareFileFound: Sendable, Equatable {
        /// Host path (`/lib/firmware/amd/amd_sev_fam19h_model0xh.sbin`).
        public var path: String
        /// The kernel's name for it (`amd/amd_sev_fam19h_model0xh.sbin`).
        public var name: String
        /// nil when the file does not start with a signed PSP image header.
        public var version: SEVFirmwareFile.Version?
    }

    /// The directories the kernel's firmware loader searches, in its order (without the
    /// per-release ones, which distributions do not use for SEV firmware).
    static let firmwareDirectories = ["lib/firmware/updates", "lib/firmware"]

    /// The first file of the kernel's search order that exists; nil when none does.
    public func sevFirmwareFile() -> SEVFirmwareFileFound? {
        let signature = self.signature
        for name in SEVFirmwareFile.candidateNames(family: signature.family, model: signature.model) {
            for directory in Self.firmwareDirectories {
                let relative = directory + "/" + name
                guard root.exists(relative) else { continue }
                var version: SEVFirmwareFile.Version?
                if case .success(let header) = root.readHead(relative, count: SEVFirmwareFile.headerSize) {
                    version = SEVFirmwareFile.version(header: header)
                }
                return SEVFirmwareFileFound(path: root.displayPath(relative), name: name, version: version)
            }
        }
        return nil
    }
}
