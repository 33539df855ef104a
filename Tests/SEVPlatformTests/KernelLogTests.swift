import SEVTestSupport
import XCTest

@testable import SEVPlatform

/// The kernel log as the firmware-file check reads it, and what a capture keeps of it.
final class KernelLogTests: XCTestCase {
    /// A Debian host's boot, with lines that have nothing to do with SEV in between.
    static let boot = """
        [    0.000000] Linux version 6.12.12-amd64 (debian-kernel@lists.debian.org)
        [    0.400000] e1000e 0000:00:1f.6 eth0: (PCI Express:2.5GT/s:Width x1) 3c:ec:ef:01:02:03
        [    0.500000] ccp 0000:05:00.5: sev enabled
        [    1.000000] ccp 0000:05:00.5: firmware: direct-loading firmware amd/amd_sev_fam19h_model0xh.sbin
        [    1.500000] ccp 0000:05:00.5: SEV firmware update successful
        [    2.000000] ccp 0000:05:00.5: SEV API:1.55 build:21
        [    2.500000] ccp 0000:05:00.5: SEV-SNP API:1.55 build:21
        [    2.700000] systemd[1]: Set hostname to <builder-7>.
        [    3.000000] kvm_amd: SEV enabled (ASIDs 100 - 509)
        [    3.500000] kvm_amd: SEV-ES enabled (ASIDs 1 - 99)
        """

    func testFirmwareLoad() {
        let log = KernelLog(text: Self.boot)
        XCTAssertEqual(log.lines.first, "Linux version 6.12.12-amd64 (debian-kernel@lists.debian.org)")
        XCTAssertEqual(log.firmwareLoad, KernelLog.FirmwareLoad(
            loadedFile: "amd/amd_sev_fam19h_model0xh.sbin", updateSucceeded: true, apiVersion: "1.55", build: 21))
        // A boot whose firmware file was not taken: loaded, no "update successful".
        let refused = KernelLog(lines: ["ccp 0000:05:00.5: firmware: direct-loading firmware amd/amd_sev_fam19h_model0xh.sbin",
                                        "ccp 0000:05:00.5: SEV API:1.55 build:21"])
        XCTAssertEqual(refused.firmwareLoad, KernelLog.FirmwareLoad(
            loadedFile: "amd/amd_sev_fam19h_model0xh.sbin", updateSucceeded: false, apiVersion: "1.55", build: 21))
        XCTAssertEqual(KernelLog(lines: []).firmwareLoad, KernelLog.FirmwareLoad(loadedFile: nil, updateSucceeded: false, apiVersion: nil, build: nil))
    }

    /// A capture keeps the SEV lines only (no MAC address, no host name), and reads the same.
    func testCaptureKeepsTheSEVLinesAlone() {
        let log = KernelLog(text: Self.boot)
        XCTAssertEqual(log.sevLines, [
            "ccp 0000:05:00.5: sev enabled",
            "ccp 0000:05:00.5: firmware: direct-loading firmware amd/amd_sev_fam19h_model0xh.sbin",
            "ccp 0000:05:00.5: SEV firmware update successful",
            "ccp 0000:05:00.5: SEV API:1.55 build:21",
            "ccp 0000:05:00.5: SEV-SNP API:1.55 build:21",
            "kvm_amd: SEV enabled (ASIDs 100 - 509)",
            "kvm_amd: SEV-ES enabled (ASIDs 1 - 99)",
        ])
        XCTAssertEqual(KernelLog(lines: log.sevLines).firmwareLoad, log.firmwareLoad)
    }
}
