import Foundation
import QMP
import SEVKit
import SEVLaunchSimulator

/// What QEMU does alike for `sev-guest` and `sev-snp-guest` (its `sev-common` parent), with its
/// words: the C-bit checks of `sev_common_kvm_init`, and the kernel hashes table of
/// `sev_add_kernel_loader_hashes`.
enum SEVCommonLaunch {
    /// `sev_common_kvm_init`'s failures, as the accelerator option (`-accel kvm`) reports them.
    static func kvmInitFailure(_ lines: [String], acceleratorLocation: String?) -> QEMUFailure {
        let location = acceleratorLocation.map { $0 + ": " } ?? ""
        return QEMUFailure((lines + ["failed to initialize kvm: Operation not permitted"]).map { location + $0 })
    }

    /// `cbitpos` must be the host's, `reduced-phys-bits` in 1...63.
    static func checkCBit(_ properties: [String: QMPValue], acceleratorLocation: String?) throws(QEMUFailure) {
        let cbitpos = properties["cbitpos"]?.uint64Value ?? 0
        let reducedPhysBits = properties["reduced-phys-bits"]?.uint64Value ?? 0
        guard cbitpos == UInt64(SEVSecureProcessor.hostCBitPosition) else {
            throw kvmInitFailure(
                ["sev_common_kvm_init: cbitpos check failed, host '\(SEVSecureProcessor.hostCBitPosition)' requested '\(cbitpos)'"],
                acceleratorLocation: acceleratorLocation)
        }
        guard (1...63).contains(reducedPhysBits) else {
            throw kvmInitFailure([
                "sev_common_kvm_init: reduced_phys_bits check failed, it should be in the range of 1 to 63, requested '\(reducedPhysBits)'",
            ], acceleratorLocation: acceleratorLocation)
        }
    }

    /// The hashes table QEMU builds from the files it loads, with `kernel-hashes=on` and a
    /// kernel; nil otherwise. Refused as QEMU refuses a firmware without a usable table area.
    static func kernelHashTable(_ facts: QEMUGuestFacts, firmware image: OVMFImage?) throws(QEMUFailure) -> SEVHashTable? {
        guard facts.objectProperties["kernel-hashes"]?.boolValue == true, let kernel = facts.kernel else { return nil }
        guard let entry = image?.entry(OVMFFooterGUID.sevHashTable) else {
            throw QEMUFailure(["SEV: kernel specified but guest firmware has no hashes table GUID"])
        }
        let base = entry.firstUInt32 ?? 0, size = entry.secondUInt32 ?? 0
        guard base != 0, size >= UInt32(SEVHashTable.paddedSize) else {
            throw QEMUFailure([
                "SEV: guest firmware hashes table area is invalid (base=0x\(String(base, radix: 16)) size=0x\(String(size, radix: 16)))",
            ])
        }
        do {
            return try SEVHashTable.hashing(kernel: kernel, initrd: facts.initrd, append: facts.append)
        } catch {
            throw QEMUFailure(["qemu: error reading \(error.description)"])
        }
    }
}
