import Foundation
import SEVTestSupport
import XCTest

/// `sevhost ok --host-root` on every captured-host fixture: the whole output, text and JSON.
final class OkFixtureTests: XCTestCase {
    static let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts")
    static let expected = PackageRoot.url.appendingPathComponent("Tests/Fixtures/expected")

    /// Each fixture and the exit status its report must give: 0 only when every check passes.
    static let fixtures: [(name: String, status: Int32)] = [
        ("milan-snp", 0), ("genoa-snp", 0), ("rome-sev-es", 0), ("naples-sev", 0), ("intel", 1),
        ("milan-iommu-pt", 1), ("milan-snp-bios-disabled", 1), ("milan-kvm-snp-off", 1),
        ("milan-no-dev-sev-access", 1), ("guest-vm", 1), ("milan-sev-firmware-not-taken", 1),
        ("family1a-unknown-snp", 0), ("genoa-no-es-asids", 1), ("genoa-snp-features", 0), ("milan-snp-no-features", 0),
    ]

    func host(_ name: String) -> String { Self.hosts.appendingPathComponent(name).path }

    func expected(_ file: String) throws -> String {
        let text = try String(contentsOf: Self.expected.appendingPathComponent(file), encoding: .utf8)
        return text.replacingOccurrences(of: "@HOSTS@", with: Self.hosts.path)
    }

    func testEveryFixtureTextAndJSON() throws {
        for fixture in Self.fixtures {
            let text = try Subprocess.sevhost(["ok", "--host-root", host(fixture.name)])
            XCTAssertEqual(text.stdout, try expected("\(fixture.name).txt"), fixture.name)
            XCTAssertEqual(text.status, fixture.status, fixture.name)
            XCTAssertEqual(text.stderr, "", fixture.name)

            let json = try Subprocess.sevhost(["ok", "--json", "--host-root", host(fixture.name)])
            XCTAssertEqual(json.stdout, try expected("\(fixture.name).json"), fixture.name)
            XCTAssertEqual(json.status, fixture.status, fixture.name)
        }
    }

    func testShortAndVerbose() throws {
        for name in ["milan-snp", "guest-vm"] {
            for mode in ["short", "verbose"] {
                let result = try Subprocess.sevhost(["ok", "--\(mode)", "--host-root", host(name)])
                XCTAssertEqual(result.stdout, try expected("\(name).\(mode).txt"), "\(name) --\(mode)")
            }
        }
        // The host-limit lines' pass and fail forms, grouped with what each reads and the fix.
        for name in ["milan-sev-firmware-not-taken", "family1a-unknown-snp", "genoa-no-es-asids", "genoa-snp-features", "intel"] {
            for mode in ["verbose"] {
                let result = try Subprocess.sevhost(["ok", "--\(mode)", "--host-root", host(name)])
                XCTAssertEqual(result.stdout, try expected("\(name).\(mode).txt"), "\(name) --\(mode)")
            }
        }
    }

    /// The healthy Milan host, written out by hand: every line of `snphost ok` on such a host
    /// (same order, names, messages and indentation), then the checks only sevhost makes.
    func testHealthyMilanFollowsSnphostLineForLine() throws {
        let snphostLines = """
            [ PASS ] - AMD CPU
            [ PASS ]   - Microcode support
            [ PASS ]   - Secure Memory Encryption (SME)
            [ PASS ]     - SME: Enabled in MSR
            [ PASS ]   - Secure Encrypted Virtualization (SEV)
            [ PASS ]     - SEV firmware version: 1.55
            [ PASS ]     - Encrypted State (SEV-ES)
            [ PASS ]       - SEV-ES initialized
            [ PASS ]     - SEV initialized: Initialized, no guests running
            [ PASS ]     - Secure Nested Paging (SEV-SNP)
            [ PASS ]       - VM Permission Levels
            [ PASS ]         - Number of VMPLs: 4
            [ PASS ]       - SNP: Enabled in MSR
            [ PASS ]       - SNP initialized
            [ PASS ]         - RMP table addresses: 0x12500000 - 0x328fffff
            [ PASS ]         - RMP table initialized
            [ PASS ]         - Alias check: Completed since last system update, no aliasing addresses
            [ PASS ]     - Physical address bit reduction: 1
            [ PASS ]     - C-bit location: 51
            [ PASS ]     - Number of encrypted guests supported simultaneously: 509
            [ PASS ]     - Minimum ASID value for SEV-enabled, SEV-ES disabled guest: 100
            [ PASS ]     - /dev/sev readable
            [ PASS ]     - /dev/sev writable
            [ PASS ]   - Page flush MSR: DISABLED
            [ PASS ] - KVM supported: API version: 12
            [ PASS ]   - SEV enabled in KVM
            [ PASS ]   - SEV-ES enabled in KVM
            [ PASS ]   - SEV-SNP enabled in KVM
            [ PASS ] - Memlock resource limit: Soft: 8388608 | Hard: 8388608

            """
        // snphost prints the TCB comparison over several lines; sevhost keeps one line per check.
        let tcbLine = "[ PASS ] - Comparing TCB values: TCB versions match (platform and reported: bootloader 3, tee 0, snp 20, microcode 209)\n"
        let sevhostOnly = """
            [ PASS ] - Bare-metal host
            [ PASS ] - Kernel: 6.12.12-amd64
            [ PASS ]   - guest_memfd for SEV-SNP (Linux 6.11+): kernel 6.12.12 has it
            [ PASS ]   - Kernel command line: mem_encrypt=on kvm_amd.sev=1 kvm_amd.sev_snp=1
            [ PASS ]   - MSR module: loaded
            [ PASS ] - IOMMU: enabled (ivhd0, ivhd1, ivhd2, ivhd3)
            [ PASS ]   - IOMMU not in passthrough: translated
            [ PASS ] - QEMU: 9.2.0 (/usr/bin/qemu-system-x86_64)
            [ PASS ]   - QEMU supports SEV-SNP (9.1+)
            [ PASS ] - OVMF with SEV metadata: /usr/share/OVMF/OVMF_CODE.fd (SEV, SEV-ES, SEV-SNP)
            [ PASS ] - Generation: Milan (SEV-SNP)
            [ PASS ] - ASIDs: SEV 100-509 (410); SEV-ES 1-99 (99); SEV-SNP 1-99 (99), SEV-ES and SEV-SNP share theirs
            [ PASS ] - SNP policy bits KVM accepts: 0x1bffff (smt, debug, single-socket) from SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18
            [ PASS ] - SEV firmware file: /lib/firmware/amd/amd_sev_fam19h_model0xh.sbin is 1.55.21; 1.55.21 runs; the kernel log shows amd/amd_sev_fam19h_model0xh.sbin loaded; "SEV firmware update successful"

            """
        let result = try Subprocess.sevhost(["ok", "--host-root", host("milan-snp")])
        XCTAssertEqual(result.stdout, snphostLines + tcbLine + sevhostOnly)
        XCTAssertEqual(result.status, 0)
    }

    func testGenerationArgumentSelectsChecks() throws {
        // Asking only about SEV on the Milan host skips every SEV-ES and SNP check.
        let sev = try Subprocess.sevhost(["ok", "sev", "--json", "--host-root", host("milan-snp")])
        XCTAssertEqual(sev.status, 0)
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sev.stdout.utf8)) as? [String: Any])
        let host = try XCTUnwrap(document["host"] as? [String: Any])
        XCTAssertEqual(host["generation"] as? String, "sev")
        XCTAssertEqual(host["generation-source"] as? String, "argument")
        XCTAssertEqual(document["summary"] as? [String: Int], ["total": 44, "passed": 26, "failed": 0, "skipped": 18])

        // Asking for SNP on Rome fails where Rome lacks it (CPU, firmware, kernel, QEMU), and says so.
        let snp = try Subprocess.sevhost(["ok", "snp", "--host-root", self.host("rome-sev-es")])
        XCTAssertEqual(snp.status, 1)
        let failures = snp.stdout.split(separator: "\n").filter { $0.hasPrefix("[ FAIL ]") }
        XCTAssertEqual(failures, [
            "[ FAIL ]     - SEV firmware version: SEV firmware version needs to be at least 1.51, current firmware version: 0.24",
            "[ FAIL ]     - Secure Nested Paging (SEV-SNP)",
            "[ FAIL ]   - SEV-SNP enabled in KVM: Error - /sys/module/kvm_amd/parameters/sev_snp does not exist",
            "[ FAIL ] - Comparing TCB values: Failed to get SNP Platform status: SNP_PLATFORM_STATUS failed: Invalid argument (os error 22)",
            "[ FAIL ]   - guest_memfd for SEV-SNP (Linux 6.11+): kernel 5.15.0 is older than 6.11",
            "[ FAIL ]   - QEMU supports SEV-SNP (9.1+): QEMU 6.2.0 is older than 9.1",
            "[ FAIL ] - SNP policy bits KVM accepts: KVM_X86_SNP_POLICY_BITS: not offered (Linux before 6.19) and kvm_amd sev_snp is not on: KVM accepts no SNP policy",
        ])
    }

    func testExclusiveOutputModes() throws {
        let result = try Subprocess.sevhost(["ok", "--short", "--json", "--host-root", host("milan-snp")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("sevhost: --short, --verbose and --json are exclusive"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }
}
