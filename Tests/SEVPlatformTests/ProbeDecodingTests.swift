import SEVKit
import SEVTestSupport
import XCTest

@testable import SEVPlatform

/// The pieces the probe decodes: CPU signatures and products, TCB layouts, versions, OVMF.
final class ProbeDecodingTests: XCTestCase {
    func testCPUSignatureAndProduct() {
        let cases: [(UInt32, CPUSignature, AMDProduct?)] = [
            (0x00A0_0F11, CPUSignature(family: 0x19, model: 0x01, stepping: 1), .milan),
            (0x00A1_0F11, CPUSignature(family: 0x19, model: 0x11, stepping: 1), .genoa),
            (0x00AA_0F01, CPUSignature(family: 0x19, model: 0xA0, stepping: 1), .genoa),  // Bergamo
            (0x0083_0F10, CPUSignature(family: 0x17, model: 0x31, stepping: 0), .rome),
            (0x0080_0F12, CPUSignature(family: 0x17, model: 0x01, stepping: 2), .naples),
            (0x00B0_0F21, CPUSignature(family: 0x1A, model: 0x02, stepping: 1), .turin),
            (0x00A2_0F12, CPUSignature(family: 0x19, model: 0x21, stepping: 2), nil),  // Ryzen 5000
            (0x0008_06F8, CPUSignature(family: 0x6, model: 0x8F, stepping: 8), nil),  // Intel
        ]
        for (eax, signature, product) in cases {
            XCTAssertEqual(CPUSignature(leaf1EAX: eax), signature, String(eax, radix: 16))
            XCTAssertEqual(AMDProduct(family: signature.family, model: signature.model), product, String(eax, radix: 16))
        }
    }

    func testTCBLayouts() {
        let milan = TCBVersion(raw: 0xD114_0000_0000_0003, layout: .milanGenoa)
        XCTAssertEqual([milan.bootloader, milan.tee, milan.snp, milan.microcode], [3, 0, 0x14, 0xD1])
        XCTAssertNil(milan.fmc)
        XCTAssertEqual(milan, TCBVersion(bootloader: 3, tee: 0, snp: 0x14, microcode: 0xD1))
        XCTAssertEqual(milan.description, "bootloader 3, tee 0, snp 20, microcode 209")

        let turin = TCBVersion(raw: 0x4800_0000_0403_0201, layout: .turin)
        XCTAssertEqual([turin.fmc, turin.bootloader, turin.tee, turin.snp, turin.microcode], [1, 2, 3, 4, 0x48])
        XCTAssertEqual(turin, TCBVersion(bootloader: 2, tee: 3, snp: 4, microcode: 0x48, fmc: 1))
        XCTAssertTrue(turin.isAtLeast(TCBVersion(bootloader: 2, tee: 3, snp: 3, microcode: 0x48, fmc: 1)))
        XCTAssertFalse(turin.isAtLeast(TCBVersion(bootloader: 2, tee: 3, snp: 5, microcode: 0x48, fmc: 1)))
        XCTAssertFalse(turin.isAtLeast(milan), "layouts do not compare")
    }

    func testDottedVersions() throws {
        XCTAssertTrue(try XCTUnwrap(DottedVersion("6.10.14-amd64")) < DottedVersion(6, 11))
        XCTAssertTrue(try XCTUnwrap(DottedVersion("6.11")) >= DottedVersion(6, 11))
        XCTAssertTrue(DottedVersion(1, 9) < DottedVersion(1, 51), "1.9 is older than 1.51: compare numbers, not text")
        XCTAssertTrue(DottedVersion(2, 0) > DottedVersion(1, 55), "the major version counts, not the minor alone")
        XCTAssertNil(DottedVersion("rc1"))
        XCTAssertEqual(QEMUInstallation.parseVersion("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2)\n"), "10.0.2")
        XCTAssertNil(QEMUInstallation.parseVersion("qemu-img version 7.2.0"))
    }

    func testOVMFGenerations() throws {
        let fixture = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp/usr/share/OVMF")
        XCTAssertEqual(OVMFCatalog.generations(of: [UInt8](try Data(contentsOf: fixture.appendingPathComponent("OVMF_CODE.fd")))), [.sev, .es, .snp])
        XCTAssertEqual(OVMFCatalog.generations(of: [UInt8](try Data(contentsOf: fixture.appendingPathComponent("OVMF_CODE_4M.fd")))), [])
        XCTAssertEqual(OVMFCatalog.generations(of: [UInt8](repeating: 0, count: 100)), [])
    }

    /// Debian's own OVMF: the 2 MiB build carries SEV, SEV-ES and SNP metadata, the 4 MiB none.
    func testDebianOVMF() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/OVMF/OVMF_CODE_4M.fd") else {
            try Peers.missing("Debian's ovmf package")
        }
        let twoMiB = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/OVMF/OVMF_CODE.fd"))
        let fourMiB = try Data(contentsOf: URL(fileURLWithPath: "/usr/share/OVMF/OVMF_CODE_4M.fd"))
        XCTAssertEqual(OVMFCatalog.generations(of: [UInt8](twoMiB)), [.sev, .es, .snp])
        XCTAssertEqual(OVMFCatalog.generations(of: [UInt8](fourMiB)), [])
        // The tail a capture keeps answers the same as the whole image.
        XCTAssertEqual(OVMFCatalog.generations(of: Array([UInt8](twoMiB).suffix(OVMFCatalog.tailSize))), [.sev, .es, .snp])
    }

    func testHostSEVParametersFromACapture() throws {
        let probe = try HostProbe(root: HostRoot(captured: PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/rome-sev-es").path))
        XCTAssertEqual(try HostSEVParameters(probe: probe), HostSEVParameters(cbitPosition: 47, reducedPhysBits: 5))
        XCTAssertEqual(probe.product, .rome)
        XCTAssertEqual(CheckRunner.defaultGeneration(for: probe), .es)
        XCTAssertEqual(probe.brand, "AMD EPYC 7742 64-Core Processor")
    }

    func testReadTailReadsOnlyTheEnd() throws {
        let root = try HostRoot(captured: PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path)
        let relative = "usr/share/OVMF/OVMF_CODE.fd"
        let whole = try root.readBytes(relative).get()
        XCTAssertEqual(whole.count, 4096)
        XCTAssertEqual(try root.readTail(relative, count: 100).get(), Array(whole.suffix(100)))
        XCTAssertEqual(try root.readTail(relative, count: 1 << 20).get(), whole, "a shorter file comes back whole")
        XCTAssertEqual(root.readTail("usr/share/OVMF/missing.fd", count: 10).map(\.count), .failure(HostReadFailure(errno: ENOENT)))
    }
}
