import Foundation
import SEVKit

/// Renders a `LaunchPlan` as the argument vector of `qemu-system-x86_64` (without argv[0]).
///
/// SEV and SEV-ES use `sev-guest` (with `legacy-vm-type` from the spec's VM type, for QEMU 9.1
/// and later) and pflash firmware; SEV-SNP uses `sev-snp-guest`, `-bios`
/// firmware (SNP measures the image as ROM, pflash is refused), a memory backend that is the
/// whole of guest RAM (sized from the same value as `-m`), and a split IRQ chip, because an SNP
/// guest's in-kernel IOAPIC is not supported. The accelerator is its own `-accel kvm` pair, so
/// nothing else in the vector depends on it.
public struct QEMUCommandBuilder: Sendable {
    /// QOM id of the confidential-guest object.
    public static let guestObjectID = "sev0"
    /// QOM id of the SNP guest memory backend.
    public static let memoryBackendID = "ram0"

    /// virtio devices of an encrypted guest must use the DMA API (IOMMU_PLATFORM), which only
    /// modern virtio offers: a transitional device with `iommu_platform=on` fails to realize.
    static let virtioForConfidentialGuest = [("disable-legacy", "on"), ("iommu_platform", "on")]

    /// The QEMU release that will run the argv, when known: QEMU before 9.1 has no
    /// `legacy-vm-type` (and creates the legacy VM type only); unknown is taken as 9.1 or later.
    public var qemu: QEMUVersion?

    public init(qemu: QEMUVersion? = nil) {
        self.qemu = qemu
    }

    public func arguments(for plan: LaunchPlan) throws(LaunchError) -> [String] {
        guard let host = plan.host else { throw .hostParametersUnknown }
        let spec = plan.spec
        let snp = plan.type == .sevSNP
        var args: [String] = []

        args += ["-name", QEMUOption.list("guest=\(QEMUOption.escape(spec.name))", [])]
        var machine = [("confidential-guest-support", Self.guestObjectID)]
        if snp {
            machine.append(("memory-backend", Self.memoryBackendID))
            machine.append(("kernel-irqchip", "split"))
        }
        args += ["-machine", QEMUOption.list(QEMUOption.escape(spec.resolvedMachine), machine)]
        args += ["-accel", "kvm"]
        args += ["-cpu", spec.resolvedCPU]
        args += ["-smp", String(spec.vcpus)]
        let memory = "\(spec.memory.mebibytes)M"
        args += ["-m", memory]
        if snp {
            args += ["-object", QEMUOption.list("memory-backend-memfd", [
                ("id", Self.memoryBackendID), ("size", memory), ("share", "on"),
            ])]
        }
        args += ["-object", try guestObject(plan, host: host)]

        switch plan.firmwareMode {
        case .pflash:
            args += ["-drive", QEMUOption.list("if=pflash", [
                ("format", "raw"), ("unit", "0"), ("file", spec.firmware.path), ("readonly", "on"),
            ])]
            if let vars = spec.firmware.vars {
                args += ["-drive", QEMUOption.list("if=pflash", [("format", "raw"), ("unit", "1"), ("file", vars)])]
            }
        case .bios:
            args += ["-bios", spec.firmware.path]
        }

        if let kernel = spec.kernel {
            args += ["-kernel", kernel.path]
            if let initrd = kernel.initrd { args += ["-initrd", initrd] }
            if let append = kernel.append { args += ["-append", append] }
        }

        for (index, disk) in (spec.disks ?? []).enumerated() {
            var drive = [("if", "none"), ("id", "disk\(index)"), ("format", disk.resolvedFormat.rawValue)]
            if disk.readonly == true { drive.append(("readonly", "on")) }
            args += ["-drive", QEMUOption.list("file=" + QEMUOption.escape(disk.path), drive)]
            args += ["-device", QEMUOption.list("virtio-blk-pci", [("drive", "disk\(index)")] + Self.virtioForConfidentialGuest)]
        }

        for (index, nic) in (spec.nics ?? []).enumerated() {
            let id = "net\(index)"
            let netdev: String
            switch nic.type {
            case .user: netdev = QEMUOption.list("user", [("id", id)])
            case .bridge: netdev = QEMUOption.list("bridge", [("id", id), ("br", nic.bridge ?? "")])
            case .tap: netdev = QEMUOption.list("tap", [("id", id), ("ifname", nic.tap ?? ""), ("script", "no"), ("downscript", "no")])
            }
            args += ["-netdev", netdev]
            var device = [("netdev", id)]
            if let mac = nic.mac { device.append(("mac", mac)) }
            device += Self.virtioForConfidentialGuest
            args += ["-device", QEMUOption.list("virtio-net-pci", device)]
        }

        args += ["-display", "none"]
        if let serial = spec.serial { args += ["-serial", serial] }
        if let qmp = spec.qmp {
            args += ["-qmp", QEMUOption.list("unix:" + QEMUOption.escape(qmp), [("server", "on"), ("wait", "off")])]
        }
        if plan.preAttestation { args.append("-S") }
        return args
    }

    /// `-object sev-guest,…` or `-object sev-snp-guest,…`, with the properties the spec sets and
    /// the SEV VM type always stated (`legacy-vm-type`), since it changes SEV-ES measurements.
    private func guestObject(_ plan: LaunchPlan, host: HostSEVParameters) throws(LaunchError) -> String {
        let c = plan.spec.confidential
        var props: [(String, String)] = [
            ("id", Self.guestObjectID),
            ("cbitpos", String(host.cbitPosition)),
            ("reduced-phys-bits", String(host.reducedPhysBits)),
            ("policy", plan.policy.hex),
        ]
        if plan.kernelHashes { props.append(("kernel-hashes", "on")) }
        guard plan.type == .sevSNP else {
            do {
                if let value = try (plan.vmType ?? SEVVMType.qemuDefault).qemuPropertyValue(for: qemu) {
                    props.append((SEVVMType.qemuProperty, value))
                }
            } catch {
                throw .vmTypeUnavailable(error.description)
            }
            if let cert = c.dhCertFile { props.append(("dh-cert-file", cert)) }
            if let session = c.sessionFile { props.append(("session-file", session)) }
            return QEMUOption.list("sev-guest", props)
        }
        if let idBlock = plan.idBlockBase64 { props.append(("id-block", idBlock)) }
        if let idAuth = plan.idAuthBase64 { props.append(("id-auth", idAuth)) }
        if let author = plan.authorKeyEnabled { props.append(("author-key-enabled", author ? "on" : "off")) }
        if let hostData = c.hostData { props.append(("host-data", hostData)) }
        if let workarounds = c.guestVisibleWorkarounds { props.append(("guest-visible-workarounds", workarounds)) }
        if let vcek = c.vcekDisabled { props.append(("vcek-disabled", vcek ? "on" : "off")) }
        return QEMUOption.list("sev-snp-guest", props)
    }
}
