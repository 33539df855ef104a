import Foundation
import SEVTestSupport
import XCTest

/// The `ok` lines none of the anchors print, on captured hosts written by make-hosts.py: each in
/// its pass and fail form, in the tree, `--json` (id, status, message) and `--verbose` (with what
/// it reads and the fix).
final class OkHostLimitsTests: XCTestCase {
    static let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts")

    private func check(_ id: String, on host: String) throws -> [String: Any] {
        let result = try Subprocess.sevhost(["ok", "--json", "--host-root", Self.hosts.appendingPathComponent(host).path])
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stderr)
        let checks = try XCTUnwrap(document["checks"] as? [[String: Any]])
        return try XCTUnwrap(checks.first { $0["id"] as? String == id }, "\(id) on \(host)")
    }

    private func assertCheck(_ id: String, on host: String, _ status: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let found = try check(id, on: host)
        XCTAssertEqual(found["status"] as? String, status, "\(id) on \(host)", file: file, line: line)
        XCTAssertEqual(found["message"] as? String, message, "\(id) on \(host)", file: file, line: line)
    }

    func testSNPPolicyBits() throws {
        try assertCheck("snp-policy-bits", on: "genoa-snp-features", "pass",
                        "0x1fbffff (smt, debug, single-socket, cxl-allow, mem-aes-256-xts, rapl-dis, ciphertext-hiding) from KVM_X86_SNP_POLICY_BITS")
        try assertCheck("snp-policy-bits", on: "milan-snp", "pass",
                        "0x1bffff (smt, debug, single-socket) from SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18")
        try assertCheck("snp-policy-bits", on: "milan-kvm-snp-off", "fail",
                        "KVM_X86_SNP_POLICY_BITS: not offered (Linux before 6.19) and kvm_amd sev_snp is not on: KVM accepts no SNP policy")
    }

    func testASIDSplit() throws {
        try assertCheck("asid-split", on: "milan-snp", "pass",
                        "SEV 100-509 (410); SEV-ES 1-99 (99); SEV-SNP 1-99 (99), SEV-ES and SEV-SNP share theirs")
        // Ciphertext hiding gives SNP its own range, which CPUID alone (and libvirt) cannot show.
        try assertCheck("asid-split", on: "genoa-snp-features", "pass",
                        "SEV 100-1006 (907); SEV-ES 51-99 (49); SEV-SNP 1-50 (50); ciphertext hiding 50 ASIDs")
        try assertCheck("asid-split", on: "genoa-no-es-asids", "fail",
                        "SEV 1-1006 (1006); SEV-ES none; SEV-SNP none: no ASID is left for SEV-SNP guests")
    }

    func testSEVFirmwareFile() throws {
        try assertCheck("sev-firmware-file", on: "milan-snp", "pass",
                        "/lib/firmware/amd/amd_sev_fam19h_model0xh.sbin is 1.55.21; 1.55.21 runs; the kernel log shows amd/amd_sev_fam19h_model0xh.sbin loaded; \"SEV firmware update successful\"")
        try assertCheck("sev-firmware-file", on: "milan-sev-firmware-not-taken", "fail",
                        "/lib/firmware/amd/amd_sev_fam19h_model0xh.sbin is 1.55.29; 1.55.21 runs; the kernel log shows amd/amd_sev_fam19h_model0xh.sbin loaded: the file is newer than what runs, so the firmware did not take it at boot")
        try assertCheck("sev-firmware-file", on: "family1a-unknown-snp", "pass",
                        "none of amd/amd_sev_fam1ah_model50h.sbin, amd/amd_sev_fam1ah_model5xh.sbin, amd/sev.fw under /lib/firmware: the BIOS's firmware runs; 1.55.21 runs")
    }

    func testGenerationOfACPUTheTableDoesNotKnow() throws {
        try assertCheck("generation", on: "milan-snp", "pass", "Milan (SEV-SNP)")
        try assertCheck("generation", on: "family1a-unknown-snp", "pass",
                        "unknown EPYC (SEV-SNP): family 0x1a model 0x50 is not in sevhost's table of EPYC products: SEV-SNP from CPUID 0x8000001F EAX 0x3b; TCB versions read with Turin's (FMC byte 0, as family 0x1a) layout; the KDS product name is unknown")
        try assertCheck("generation", on: "intel", "fail",
                        "family 0x6 model 0x8f is not in sevhost's table of EPYC products and CPUID 0x8000001F EAX shows no SEV")
        // The TCB comparison reads the unknown family 0x1A CPU with Turin's layout (FMC byte 0).
        try assertCheck("compare-tcb", on: "family1a-unknown-snp", "pass",
                        "TCB versions match (platform and reported: fmc 1, bootloader 2, tee 0, snp 3, microcode 9)")
        // Without a generation argument the CPUID's newest is checked: every SNP check ran.
        let result = try Subprocess.sevhost(["ok", "--json", "--host-root", Self.hosts.appendingPathComponent("family1a-unknown-snp").path])
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((document["host"] as? [String: Any])?["generation"] as? String, "snp")
        XCTAssertEqual(result.status, 0)
    }
}
