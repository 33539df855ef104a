import Foundation

/// Whether the real QEMU runs the guest under KVM, as the argv asks, or under TCG.
///
/// The simulated platform is an SEV host, which has KVM. This host may not: without a usable
/// `/dev/kvm`, or with a KVM that cannot run firmware, the guest runs under TCG instead. The
/// second case is real on the machines this project is built on: their `/dev/kvm` is PVM
/// (`kvm_pvm`, a paravirtual KVM for guests that are themselves VMs), which starts QEMU but
/// stops OVMF at its first x87 instruction in SEC ("KVM internal error. Suberror: 1", the
/// kernel logging "kvm-pvm: INTERNAL_ERROR in batch emul"). `--sim-accel kvm|tcg` or
/// `SEVHOST_SIM_ACCEL` decides instead.
public enum AcceleratorChoice {
    public enum Decision: Sendable, Equatable {
        case keep
        /// Run under TCG, with the reason for the log.
        case tcg(reason: String)
    }

    public static func decide(override: String?, kvmDevice: String = "/dev/kvm", modules: String = "/sys/module") -> Decision {
        switch override {
        case "kvm": return .keep
        case "tcg": return .tcg(reason: "asked for with --sim-accel/SEVHOST_SIM_ACCEL")
        default: break
        }
        let fd = open(kvmDevice, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return .tcg(reason: "\(kvmDevice) cannot be opened: \(String(cString: strerror(errno)))") }
        close(fd)
        if FileManager.default.fileExists(atPath: modules + "/kvm_pvm") {
            return .tcg(reason: "this host's KVM is PVM (kvm_pvm), which cannot run OVMF")
        }
        return .keep
    }
}
