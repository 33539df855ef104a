import Launch
import SEVKit
import XCTest

/// Exact argument vectors for the sample specs in `templates/`.
final class QEMUGoldenTests: XCTestCase {
    func args(_ sample: String) throws -> [String] {
        try QEMUCommandBuilder().arguments(for: Samples.plan(sample))
    }

    func testSEVWithPreAttestation() throws {
        XCTAssertEqual(try args("sev.yaml"), [
            "-name", "guest=sev-guest",
            "-machine", "q35,confidential-guest-support=sev0",
            "-accel", "kvm",
            "-cpu", "EPYC-v4",
            "-smp", "2",
            "-m", "2048M",
            "-object", "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0xb,legacy-vm-type=on,"
                + "dh-cert-file=/var/lib/sevhost/sev-guest/godh.b64,session-file=/var/lib/sevhost/sev-guest/session.b64",
            "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on",
            "-drive", "if=pflash,format=raw,unit=1,file=/var/lib/sevhost/sev-guest/OVMF_VARS.fd",
            "-drive", "file=/var/lib/sevhost/sev-guest/disk.qcow2,if=none,id=disk0,format=qcow2",
            "-device", "virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on",
            "-netdev", "user,id=net0",
            "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:5e:00:01,disable-legacy=on,iommu_platform=on",
            "-display", "none",
            "-qmp", "unix:/run/sevhost/sev-guest.qmp,server=on,wait=off",
            "-S",
        ])
    }

    func testSEVESWithKernelHashes() throws {
        XCTAssertEqual(try args("sev-es.yaml"), [
            "-name", "guest=sev-es-guest",
            "-machine", "q35,confidential-guest-support=sev0",
            "-accel", "kvm",
            "-cpu", "EPYC-v4",
            "-smp", "4",
            "-m", "4096M",
            "-object", "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x5,kernel-hashes=on,legacy-vm-type=on",
            "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/sevhost/OVMF.amdsev.fd,readonly=on",
            "-kernel", "/var/lib/sevhost/sev-es-guest/vmlinuz",
            "-initrd", "/var/lib/sevhost/sev-es-guest/initrd.img",
            "-append", "console=ttyS0 root=/dev/vda1",
            "-drive", "file=/var/lib/sevhost/sev-es-guest/root.raw,if=none,id=disk0,format=raw",
            "-device", "virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on",
            "-netdev", "bridge,id=net0,br=virbr0",
            "-device", "virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on",
            "-display", "none",
            "-serial", "stdio",
        ])
    }

    /// The VM type is always stated to QEMU 9.1 and later (and to a QEMU of unknown release),
    /// never left to QEMU's `auto`; QEMU 9.0 and older have no such property and only create
    /// the legacy type, so init2 cannot be asked of them. SNP takes no VM type.
    func testSEVVMTypeIsAlwaysStated() throws {
        func object(_ vmType: SEVVMType?, qemu: QEMUVersion?) throws -> String {
            var spec = try Samples.spec("sev-es.yaml")
            spec.confidential.vmType = vmType
            let plan = try LaunchPlan.resolve(spec, host: Samples.host, firmware: Samples.capableFirmware, readFile: Samples.files)
            let args = try QEMUCommandBuilder(qemu: qemu).arguments(for: plan)
            return try XCTUnwrap(args.first { $0.hasPrefix("sev-guest,") })
        }
        let prefix = "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x5,kernel-hashes=on"
        for qemu in [nil, QEMUVersion(major: 9, minor: 1), QEMUVersion(major: 10, minor: 0, micro: 2)] {
            XCTAssertEqual(try object(nil, qemu: qemu), prefix + ",legacy-vm-type=on")
            XCTAssertEqual(try object(.legacy, qemu: qemu), prefix + ",legacy-vm-type=on")
            XCTAssertEqual(try object(.init2, qemu: qemu), prefix + ",legacy-vm-type=off")
        }
        for qemu in [QEMUVersion(major: 7, minor: 2, micro: 22), QEMUVersion(major: 9, minor: 0, micro: 4)] {
            XCTAssertEqual(try object(nil, qemu: qemu), prefix)
            XCTAssertEqual(try object(.legacy, qemu: qemu), prefix)
            XCTAssertThrowsError(try object(.init2, qemu: qemu)) {
                XCTAssertEqual(($0 as? LaunchError)?.description,
                               "confidential.vm-type: vm-type init2 needs QEMU 9.1 or later (sev-guest's legacy-vm-type=off); QEMU \(qemu) always creates the legacy VM type")
                XCTAssertEqual(($0 as? LaunchError)?.field, "confidential.vm-type")
            }
        }
        let snp = try QEMUCommandBuilder(qemu: QEMUVersion(major: 10, minor: 0)).arguments(for: Samples.plan("snp.yaml"))
        XCTAssertFalse(snp.contains { $0.contains("legacy-vm-type") })
    }

    func testSNP() throws {
        XCTAssertEqual(try args("snp.yaml"), [
            "-name", "guest=snp-guest",
            "-machine", "q35,confidential-guest-support=sev0,memory-backend=ram0,kernel-irqchip=split",
            "-accel", "kvm",
            "-cpu", "EPYC-v4",
            "-smp", "4",
            "-m", "8192M",
            "-object", "memory-backend-memfd,id=ram0,size=8192M,share=on",
            "-object", "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,vcek-disabled=off",
            "-bios", "/usr/share/ovmf/OVMF.fd",
            "-drive", "file=/var/lib/sevhost/snp-guest/disk.qcow2,if=none,id=disk0,format=qcow2",
            "-device", "virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on",
            "-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on",
            "-display", "none",
            "-qmp", "unix:/run/sevhost/snp-guest.qmp,server=on,wait=off",
        ])
    }

    func testSNPWithIDBlockAndKernelHashes() throws {
        let (idBlock, idAuth) = try Samples.idBlockSample()
        XCTAssertTrue(idBlock.hasPrefix("W+KyxNW4zTssYienRunz2+Ns"))
        XCTAssertEqual(idAuth.count, 5464)
        XCTAssertEqual(try args("snp-idblock.yaml"), [
            "-name", "guest=snp-id-guest",
            "-machine", "q35,confidential-guest-support=sev0,memory-backend=ram0,kernel-irqchip=split",
            "-accel", "kvm",
            "-cpu", "EPYC-Milan",
            "-smp", "2",
            "-m", "4096M",
            "-object", "memory-backend-memfd,id=ram0,size=4096M,share=on",
            "-object", "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,kernel-hashes=on,"
                + "id-block=\(idBlock),id-auth=\(idAuth),author-key-enabled=on,"
                + "host-data=c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=,"
                + "guest-visible-workarounds=AAAAAAAAAAAAAAAAAAAAAA==,vcek-disabled=off",
            "-bios", "/usr/share/sevhost/OVMF.amdsev.fd",
            "-kernel", "/var/lib/sevhost/snp-id-guest/vmlinuz",
            "-initrd", "/var/lib/sevhost/snp-id-guest/initrd.img",
            "-append", "console=ttyS0",
            "-display", "none",
            "-qmp", "unix:/run/sevhost/snp-id-guest.qmp,server=on,wait=off",
        ])
    }

    /// The host's values flow through unchanged: nothing in the builder pins 51/1.
    func testHostParametersComeFromInput() throws {
        let plan = try Samples.plan("snp.yaml", host: HostSEVParameters(cbitPosition: 47, reducedPhysBits: 5))
        let object = try QEMUCommandBuilder().arguments(for: plan).first { $0.hasPrefix("sev-snp-guest,") }
        XCTAssertEqual(object, "sev-snp-guest,id=sev0,cbitpos=47,reduced-phys-bits=5,policy=0x30000,vcek-disabled=off")
        XCTAssertEqual(HostSEVParameters(cpuidEBX: 0x0000_0173), HostSEVParameters(cbitPosition: 51, reducedPhysBits: 5))
        XCTAssertNil(HostSEVParameters(cpuidEBX: 0))
    }

    func testCommasInValuesAreDoubled() throws {
        var spec = try Samples.spec("snp.yaml")
        spec.disks = [DiskSpec(path: "/vm/a,b.img", format: .raw)]
        let plan = try LaunchPlan.resolve(spec, host: Samples.host, firmware: Samples.capableFirmware)
        XCTAssertTrue(try QEMUCommandBuilder().arguments(for: plan).contains("file=/vm/a,,b.img,if=none,id=disk0,format=raw"))
    }

    func testMissingHostParametersIsAnError() throws {
        let plan = try Samples.plan("snp.yaml", host: nil)
        XCTAssertThrowsError(try QEMUCommandBuilder().arguments(for: plan)) { error in
            XCTAssertEqual(
                "\(error)",
                "the host's C-bit position and reduced-phys-bits are unknown: pass --cbitpos and --reduced-phys-bits")
        }
    }
}
