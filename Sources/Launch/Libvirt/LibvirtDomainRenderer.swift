import Foundation
import SEVKit

/// Renders a `LaunchPlan` as a libvirt domain through the `templates/libvirt/domain.xml` template.
///
/// The template holds the XML; this type only decides the values, so a platform owner who needs
/// another device or a different layout edits the template, not sevhost. The launchSecurity
/// values are written the way libvirt itself writes them back (policy as `0x%04x` for SEV and
/// `0x%08x` for SNP), so `virsh dumpxml` returns the element unchanged.
///
/// Libvirt owns QEMU's monitor, so the spec's `qmp` socket has no place in the domain, and a
/// pre-attestation launch is started paused with `virsh start --paused` rather than by the XML.
public struct LibvirtDomainRenderer: Sendable {
    public static let templateFileName = "libvirt/domain.xml"

    public let template: Template

    public init(template: Template) {
        self.template = template
    }

    /// Loads `libvirt/domain.xml` from a `templates/` directory.
    public init(templatesDirectory: URL) throws(Template.Error) {
        let url = templatesDirectory.appendingPathComponent(Self.templateFileName)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw Template.Error(name: url.path, problem: "cannot read the template")
        }
        self.init(template: try Template(text, name: url.path))
    }

    public func render(_ plan: LaunchPlan) throws(Template.Error) -> String {
        try template.render(Self.context(for: plan))
    }

    /// libvirt (up to 11.3) has no setting for `sev-guest`'s `legacy-vm-type` and never passes
    /// it, so QEMU creates every SEV and SEV-ES guest it starts with the legacy VM type (QEMU 9.1
    /// to 10.1 read the unset property as `auto`; older QEMU has no other type). A spec asking
    /// for `init2` cannot be had through libvirt; the domain says which type it gets.
    public static func checkVMType(_ plan: LaunchPlan) throws(LaunchError) {
        guard let vmType = plan.vmType, vmType != libvirtVMType else { return }
        throw .vmTypeUnavailable(
            "\(vmType.rawValue) cannot be had through libvirt, which sets no legacy-vm-type on QEMU's sev-guest: QEMU then creates the \(libvirtVMType.rawValue) VM type; use vm-type \(libvirtVMType.rawValue), or --print qemu")
    }

    /// The VM type QEMU creates for every SEV and SEV-ES domain libvirt starts.
    public static let libvirtVMType = SEVVMType.qemuDefault

    /// The values the template sees; documented in sevhost-spec(5).
    public static func context(for plan: LaunchPlan) -> [String: Template.Value] {
        let spec = plan.spec
        let c = spec.confidential
        var context: [String: Template.Value] = [
            "name": .text(spec.name),
            "memory-mib": .text(String(spec.memory.mebibytes)),
            "vcpus": .text(String(spec.vcpus)),
            "machine": .text(spec.resolvedMachine),
            "firmware": .text(spec.firmware.path),
            "pflash": .flag(plan.firmwareMode == .pflash),
            "rom": .flag(plan.firmwareMode == .bios),
            "host-cpu": .flag(spec.resolvedCPU == "host"),
            "cpu": .text(spec.resolvedCPU),
            "sev": .flag(plan.type != .sevSNP),
            "snp": .flag(plan.type == .sevSNP),
            "kernel-hashes": .flag(plan.kernelHashes),
        ]
        if let vars = spec.firmware.vars { context["vars"] = .text(vars) }
        if let kernel = spec.kernel {
            context["kernel"] = .text(kernel.path)
            if let initrd = kernel.initrd { context["initrd"] = .text(initrd) }
            if let append = kernel.append { context["cmdline"] = .text(append) }
        }
        context["disks"] = .list((spec.disks ?? []).enumerated().map { index, disk in
            [
                "path": .text(disk.path),
                "format": .text(disk.resolvedFormat.rawValue),
                "target": .text(diskTarget(index)),
                "readonly": .flag(disk.readonly == true),
            ]
        })
        context["nics"] = .list((spec.nics ?? []).map { nic in
            var item: [String: Template.Value] = [
                "user": .flag(nic.type == .user),
                "bridge": nic.bridge.map(Template.Value.text) ?? .flag(false),
                "tap": nic.tap.map(Template.Value.text) ?? .flag(false),
            ]
            if nic.type != .bridge { item["bridge"] = .flag(false) }
            if nic.type != .tap { item["tap"] = .flag(false) }
            item["mac"] = nic.mac.map(Template.Value.text) ?? .flag(false)
            return item
        })
        if let host = plan.host {
            context["cbitpos"] = .text(String(host.cbitPosition))
            context["reduced-phys-bits"] = .text(String(host.reducedPhysBits))
        }
        switch plan.policy {
        case .sev(let policy):
            context["policy"] = .text("0x" + leftPadded(String(policy.rawValue, radix: 16), to: 4))
        case .snp(let policy):
            context["policy"] = .text("0x" + leftPadded(String(policy.rawValue, radix: 16), to: 8))
        }
        if let dhCert = plan.dhCert { context["dh-cert"] = .text(dhCert) }
        if let session = plan.session { context["session"] = .text(session) }
        if plan.type != .sevSNP {
            context["vm-type-note"] = .text(
                "vm-type \(libvirtVMType.rawValue): libvirt sets no legacy-vm-type, so QEMU creates the legacy KVM VM type (KVM_SEV_INIT or KVM_SEV_ES_INIT) and SEV-ES VMSAs keep x87 and SSE control words zero")
        }
        // Paths stay out of the comment: a "--" in one would end it.
        let unread = plan.unreadFiles.compactMap(\.field)
        if !unread.isEmpty {
            context["unread-files"] = .text(
                unread.joined(separator: " and ") + " could not be read here, so the dhCert and session elements are left out: add them with the base64 text of those files before defining the domain")
        }
        if let author = plan.authorKeyEnabled { context["author-key"] = .text(author ? "yes" : "no") }
        // libvirt's `vcek` says whether the VCEK signs reports: the inverse of vcek-disabled.
        if let disabled = c.vcekDisabled { context["vcek"] = .text(disabled ? "no" : "yes") }
        if let value = c.guestVisibleWorkarounds { context["guest-visible-workarounds"] = .text(value) }
        if let value = plan.idBlockBase64 { context["id-block"] = .text(value) }
        if let value = plan.idAuthBase64 { context["id-auth"] = .text(value) }
        if let value = c.hostData { context["host-data"] = .text(value) }
        return context
    }

    /// `vda`, `vdb`, … `vdz`, `vdaa`, … as libvirt names virtio disks.
    static func diskTarget(_ index: Int) -> String {
        var name = ""
        var n = index
        repeat {
            name = String(UnicodeScalar(UInt8(97 + n % 26))) + name
            n = n / 26 - 1
        } while n >= 0
        return "vd" + name
    }

    private static func leftPadded(_ text: String, to width: Int) -> String {
        String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
