import BoundedFiles
import Crypto
import Foundation
import SEVKit

/// What QEMU hands the firmware for one SEV or SEV-ES launch.
public struct SimulatedLaunchConfiguration: Sendable {
    public var firmware: OVMFImage
    /// The 32-bit SEV policy.
    public var policy: UInt32
    public var godh: SEVPlatformCertificate?
    public var session: LaunchSessionBlob?
    /// The SEV hashes table, when QEMU boots a kernel with `kernel-hashes=on`.
    public var hashTable: SEVHashTable?
    public var vcpus: Int
    /// CPUID signature of the vCPU model (in each SEV-ES VMSA's RDX).
    public var vcpuSignature: UInt32
    /// How KVM created the VM, as QEMU decided from `legacy-vm-type`: it fills the SEV-ES VMSAs.
    public var vmType: SEVVMType

    public init(
        firmware: OVMFImage, policy: UInt32, godh: SEVPlatformCertificate?, session: LaunchSessionBlob?,
        hashTable: SEVHashTable?, vcpus: Int, vcpuSignature: UInt32, vmType: SEVVMType
    ) {
        self.firmware = firmware
        self.policy = policy
        self.godh = godh
        self.session = session
        self.hashTable = hashTable
        self.vcpus = vcpus
        self.vcpuSignature = vcpuSignature
        self.vmType = vmType
    }

    /// SEV-ES when the policy's ES bit is set (QEMU derives it the same way).
    public var isSEVES: Bool { SEVGuestPolicy(rawValue: policy).contains(SEVGuestPolicy.encryptedState) }
}

/// The command sequence QEMU issues for an SEV/SEV-ES guest started with `-S`: LAUNCH_START,
/// LAUNCH_UPDATE_DATA over the pflash firmware, over the padded hashes table (kernel-hashes),
/// LAUNCH_UPDATE_VMSA per vCPU (SEV-ES, each page as KVM fills it for the configuration's VM
/// type), then LAUNCH_MEASURE once the machine is built. The
/// guest is left in launch-secret, waiting for the guest owner.
public enum SimulatedLaunch {
    public static func run(_ configuration: SimulatedLaunchConfiguration, platform: SimulatedPlatform) throws(SimulatorError) -> SimulatedGuest {
        let firmware = configuration.firmware
        // The same test the digest code applies, so the simulator launches what a guest owner
        // can compute a digest for (and refuses the rest, e.g. Debian's 4 MiB OVMF).
        guard LaunchDigest.isSEVFirmware(firmware) else {
            throw .file("the firmware carries no SEV metadata (nor an SEV hashes table or secret area): it was not built for SEV guests")
        }
        var guest = SimulatedGuest()
        do {
            try guest.launchStart(platform: platform, policy: configuration.policy, godh: configuration.godh, session: configuration.session)
            try guest.launchUpdateData(firmware.bytes)
            if let table = configuration.hashTable {
                guard let location = firmware.sevHashTableLocation, location.size >= SEVHashTable.paddedSize else {
                    throw SimulatorError.argument("kernel-hashes=on: the firmware has no SEV hashes table area (an OVMF AmdSev build is needed)")
                }
                try guest.launchUpdateData(table.bytes)
            }
            if configuration.isSEVES {
                let pages: [[UInt8]]
                do {
                    pages = try LaunchDigest.sevESVMSAPages(
                        firmware: firmware, vcpus: configuration.vcpus,
                        vcpuSignature: configuration.vcpuSignature, vmType: configuration.vmType)
                } catch {
                    throw SimulatorError.argument("SEV-ES: \(error)")
                }
                for page in pages { try guest.launchUpdateVMSA(page) }
            }
            _ = try guest.launchMeasure()
        } catch let status as SEVFirmwareStatus {
            throw .firmware(status)
        } catch let error as SimulatorError {
            throw error
        } catch {
            throw .argument("\(error)")
        }
        return guest
    }
}

extension SEVHashTable {
    /// The table QEMU builds for `-kernel/-initrd/-append` with `kernel-hashes=on`, from the
    /// files themselves (QEMU hashes what it loads).
    public static func hashing(kernel: String, initrd: String?, append: String?) throws(SimulatorError) -> SEVHashTable {
        func digest(_ path: String, option: String, limit: InputLimit) throws(SimulatorError) -> [UInt8] {
            var hasher = SHA256()
            do {
                try BoundedFile.forEachBlock(path, limit: Int64(limit.bytes), what: limit.what) { block, _, _ in hasher.update(bufferPointer: block) }
            } catch {
                throw .file("\(option) \(error)")
            }
            return Array(hasher.finalize())
        }
        return SEVHashTable(
            kernelHash: try digest(kernel, option: "-kernel", limit: .kernel),
            initrdHash: try initrd.map { path throws(SimulatorError) in try digest(path, option: "-initrd", limit: .initrd) },
            commandLine: append)
    }
}
