import Foundation
import Launch
import SEVTestSupport
import XCTest

/// Firmware facts read from real OVMF builds, and the checks they drive.
final class FirmwareFactsTests: XCTestCase {
    func facts(_ path: String) throws -> FirmwareFacts {
        guard FileManager.default.fileExists(atPath: path) else { try Peers.missing(path) }
        return try FirmwareFacts(firmwareAt: path)
    }

    /// Debian's 2 MiB OVMF: SEV metadata and the SEV-ES reset block, but no kernel hash table.
    func testDebianOVMF() throws {
        let expected = FirmwareFacts(hasSEVMetadata: true, supportsSEVES: true, hasSEVHashTable: false, hasSNPKernelHashes: false)
        XCTAssertEqual(try facts("/usr/share/OVMF/OVMF_CODE.fd"), expected)
        XCTAssertEqual(try facts("/usr/share/ovmf/OVMF.fd"), expected)
    }

    /// Debian's 4 MiB OVMF has the SEV-ES reset block in its footer but no SEV metadata, so it
    /// cannot start an SNP guest.
    func testDebian4MiBOVMF() throws {
        XCTAssertEqual(
            try facts("/usr/share/OVMF/OVMF_CODE_4M.fd"),
            FirmwareFacts(hasSEVMetadata: false, supportsSEVES: true, hasSEVHashTable: false, hasSNPKernelHashes: false))
    }

    /// The last 4 KiB of an OvmfPkg/AmdSev build, where the footer table lives.
    func testAmdSevFooter() throws {
        let path = try TestData.url("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin").path
        let facts = try FirmwareFacts(firmwareAt: path)
        XCTAssertTrue(facts.hasSEVHashTable)
        XCTAssertTrue(facts.supportsSEVES)
    }

    func testUnreadableFirmware() {
        XCTAssertThrowsError(try FirmwareFacts(firmwareAt: "/nonexistent/OVMF.fd")) { error in
            XCTAssertEqual("\(error)", "firmware.path: cannot read /nonexistent/OVMF.fd: No such file or directory")
        }
    }

    /// The sample SEV-ES spec measures the kernel: Debian's OVMF cannot, and sevhost says so.
    func testKernelHashesRefusedWithDebianOVMF() throws {
        var spec = try Samples.spec("sev-es.yaml")
        spec.firmware.path = "/usr/share/OVMF/OVMF_CODE.fd"
        let facts = try facts(spec.firmware.path)
        XCTAssertThrowsError(try LaunchPlan.resolve(spec, host: Samples.host, firmware: facts)) { error in
            XCTAssertEqual("\(error)", "confidential.kernel-hashes: firmware /usr/share/OVMF/OVMF_CODE.fd has no SEV hash table")
        }
    }
}
