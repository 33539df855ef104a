import Foundation
import Launch
import SEVKit
import XCTest

/// Exact domain XML for the sample specs, rendered through `templates/libvirt/domain.xml`.
final class LibvirtGoldenTests: XCTestCase {
    func xml(_ sample: String) throws -> String {
        try Samples.renderer().render(Samples.plan(sample))
    }

    func testSEV() throws {
        XCTAssertEqual(try xml("sev.yaml"), """
            <domain type='kvm'>
              <name>sev-guest</name>
              <memory unit='MiB'>2048</memory>
              <vcpu placement='static'>2</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
                <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
                <nvram>/var/lib/sevhost/sev-guest/OVMF_VARS.fd</nvram>
                <boot dev='hd'/>
              </os>
              <features>
                <acpi/>
                <apic/>
              </features>
              <cpu mode='custom' match='exact'>
                <model fallback='forbid'>EPYC-v4</model>
              </cpu>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' iommu='on'/>
                  <source file='/var/lib/sevhost/sev-guest/disk.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <interface type='user'>
                  <mac address='52:54:00:5e:00:01'/>
                  <model type='virtio'/>
                  <driver iommu='on'/>
                </interface>
                <memballoon model='none'/>
              </devices>
              <!-- vm-type legacy: libvirt sets no legacy-vm-type, so QEMU creates the legacy KVM VM type (KVM_SEV_INIT or KVM_SEV_ES_INIT) and SEV-ES VMSAs keep x87 and SSE control words zero -->
              <launchSecurity type='sev'>
                <cbitpos>51</cbitpos>
                <reducedPhysBits>1</reducedPhysBits>
                <policy>0x000b</policy>
                <dhCert>R09ESC1jZXJ0aWZpY2F0ZS1zdGFuZC1pbg==</dhCert>
                <session>c2Vzc2lvbi1ibG9iLXN0YW5kLWlu</session>
              </launchSecurity>
            </domain>

            """)
    }

    func testSEVES() throws {
        XCTAssertEqual(try xml("sev-es.yaml"), """
            <domain type='kvm'>
              <name>sev-es-guest</name>
              <memory unit='MiB'>4096</memory>
              <vcpu placement='static'>4</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
                <loader readonly='yes' type='pflash'>/usr/share/sevhost/OVMF.amdsev.fd</loader>
                <kernel>/var/lib/sevhost/sev-es-guest/vmlinuz</kernel>
                <initrd>/var/lib/sevhost/sev-es-guest/initrd.img</initrd>
                <cmdline>console=ttyS0 root=/dev/vda1</cmdline>
              </os>
              <features>
                <acpi/>
                <apic/>
              </features>
              <cpu mode='custom' match='exact'>
                <model fallback='forbid'>EPYC-v4</model>
              </cpu>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='raw' iommu='on'/>
                  <source file='/var/lib/sevhost/sev-es-guest/root.raw'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <interface type='bridge'>
                  <source bridge='virbr0'/>
                  <model type='virtio'/>
                  <driver iommu='on'/>
                </interface>
                <memballoon model='none'/>
              </devices>
              <!-- vm-type legacy: libvirt sets no legacy-vm-type, so QEMU creates the legacy KVM VM type (KVM_SEV_INIT or KVM_SEV_ES_INIT) and SEV-ES VMSAs keep x87 and SSE control words zero -->
              <launchSecurity type='sev' kernelHashes='yes'>
                <cbitpos>51</cbitpos>
                <reducedPhysBits>1</reducedPhysBits>
                <policy>0x0005</policy>
              </launchSecurity>
            </domain>

            """)
    }

    func testSNP() throws {
        XCTAssertEqual(try xml("snp.yaml"), """
            <domain type='kvm'>
              <name>snp-guest</name>
              <memory unit='MiB'>8192</memory>
              <vcpu placement='static'>4</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
                <loader type='rom'>/usr/share/ovmf/OVMF.fd</loader>
                <boot dev='hd'/>
              </os>
              <features>
                <acpi/>
                <apic/>
                <ioapic driver='qemu'/>
              </features>
              <cpu mode='custom' match='exact'>
                <model fallback='forbid'>EPYC-v4</model>
              </cpu>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' iommu='on'/>
                  <source file='/var/lib/sevhost/snp-guest/disk.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <interface type='ethernet'>
                  <target dev='tap0' managed='no'/>
                  <model type='virtio'/>
                  <driver iommu='on'/>
                </interface>
                <memballoon model='none'/>
              </devices>
              <launchSecurity type='sev-snp' vcek='yes'>
                <cbitpos>51</cbitpos>
                <reducedPhysBits>1</reducedPhysBits>
                <policy>0x00030000</policy>
              </launchSecurity>
            </domain>

            """)
    }

    func testSNPWithIDBlockAndKernelHashes() throws {
        let (idBlock, idAuth) = try Samples.idBlockSample()
        XCTAssertEqual(try xml("snp-idblock.yaml"), """
            <domain type='kvm'>
              <name>snp-id-guest</name>
              <memory unit='MiB'>4096</memory>
              <vcpu placement='static'>2</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
                <loader type='rom'>/usr/share/sevhost/OVMF.amdsev.fd</loader>
                <kernel>/var/lib/sevhost/snp-id-guest/vmlinuz</kernel>
                <initrd>/var/lib/sevhost/snp-id-guest/initrd.img</initrd>
                <cmdline>console=ttyS0</cmdline>
              </os>
              <features>
                <acpi/>
                <apic/>
                <ioapic driver='qemu'/>
              </features>
              <cpu mode='custom' match='exact'>
                <model fallback='forbid'>EPYC-Milan</model>
              </cpu>
              <devices>
                <memballoon model='none'/>
              </devices>
              <launchSecurity type='sev-snp' kernelHashes='yes' authorKey='yes' vcek='yes'>
                <cbitpos>51</cbitpos>
                <reducedPhysBits>1</reducedPhysBits>
                <policy>0x00030000</policy>
                <guestVisibleWorkarounds>AAAAAAAAAAAAAAAAAAAAAA==</guestVisibleWorkarounds>
                <idBlock>\(idBlock)</idBlock>
                <idAuth>\(idAuth)</idAuth>
                <hostData>c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=</hostData>
              </launchSecurity>
            </domain>

            """)
    }

    /// Without host values libvirt fills in the C-bit itself, so the elements are left out.
    func testWithoutHostParametersOmitsCbitpos() throws {
        let xml = try Samples.renderer().render(Samples.plan("snp.yaml", host: nil))
        XCTAssertFalse(xml.contains("cbitpos"))
        XCTAssertTrue(xml.contains("  <launchSecurity type='sev-snp' vcek='yes'>\n    <policy>0x00030000</policy>\n"))
    }

    /// libvirt cannot ask QEMU for a KVM_SEV_INIT2 VM: a spec that wants one is refused for
    /// libvirt output (the check `sevhost launch --print libvirt` runs), legacy passes.
    func testInit2CannotBeHadThroughLibvirt() throws {
        for (type, sample) in [(SEVVMType?.none, "sev-es.yaml"), (.legacy, "sev-es.yaml"), (.legacy, "sev.yaml")] {
            var spec = try Samples.spec(sample)
            spec.confidential.vmType = type
            XCTAssertNoThrow(try LibvirtDomainRenderer.checkVMType(
                LaunchPlan.resolve(spec, host: Samples.host, firmware: Samples.capableFirmware, readFile: Samples.files)))
        }
        var spec = try Samples.spec("sev-es.yaml")
        spec.confidential.vmType = .init2
        let plan = try LaunchPlan.resolve(spec, host: Samples.host, firmware: Samples.capableFirmware, readFile: Samples.files)
        XCTAssertThrowsError(try LibvirtDomainRenderer.checkVMType(plan)) {
            XCTAssertEqual(($0 as? LaunchError)?.description,
                           "confidential.vm-type: init2 cannot be had through libvirt, which sets no legacy-vm-type on QEMU's sev-guest: QEMU then creates the legacy VM type; use vm-type legacy, or --print qemu")
        }
        XCTAssertNoThrow(try LibvirtDomainRenderer.checkVMType(Samples.plan("snp.yaml")))
    }

    /// Printing for another host, session files that are not here are left out of the
    /// domain with a comment saying so (the contents cannot be embedded).
    func testUnreadSessionFilesAreSaidToBeLeftOut() throws {
        let spec = try Samples.spec("sev.yaml")
        let plan = try LaunchPlan.resolve(
            spec, host: Samples.host, firmware: Samples.capableFirmware,
            readFile: { path in throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) },
            namedFilesMayBeMissing: true)
        XCTAssertEqual(plan.unreadFiles.map(\.field), ["confidential.dh-cert-file", "confidential.session-file"])
        let xml = try Samples.renderer().render(plan)
        XCTAssertTrue(xml.contains("""
                <policy>0x000b</policy>
                <!-- confidential.dh-cert-file and confidential.session-file could not be read here, so the dhCert and session elements are left out: add them with the base64 text of those files before defining the domain -->
              </launchSecurity>
            """), xml)
        XCTAssertThrowsError(try LaunchPlan.resolve(
            spec, host: Samples.host, firmware: Samples.capableFirmware,
            readFile: { path in throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) })) {
            XCTAssertEqual(($0 as? LaunchError)?.field, "confidential.dh-cert-file")
        }
    }

    func testValuesAreEscaped() throws {
        var spec = try Samples.spec("snp.yaml")
        spec.kernel = KernelSpec(path: "/boot/vmlinuz", append: "a<b & c='d'")
        let plan = try LaunchPlan.resolve(spec, host: Samples.host, firmware: Samples.capableFirmware)
        XCTAssertTrue(try Samples.renderer().render(plan).contains("<cmdline>a&lt;b &amp; c=&apos;d&apos;</cmdline>"))
    }
}
