import Foundation
import SEVTestSupport
import XCTest

/// `show` for the host limits on captured hosts, and `launch` refusing an SNP policy bit the
/// host's KVM does not accept.
final class ShowHostLimitsTests: XCTestCase {
    static let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts")

    private func show(_ fact: String, _ host: String) throws -> ProcessResult {
        try Subprocess.sevhost(["show", fact, "--host-root", Self.hosts.appendingPathComponent(host).path])
    }

    func testShowSNPPolicyBits() throws {
        XCTAssertEqual(try show("snp-policy-bits", "milan-snp").stdout, "0x1bffff smt,debug,single-socket (SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18)\n")
        XCTAssertEqual(try show("snp-policy-bits", "genoa-snp-features").stdout,
                       "0x1fbffff smt,debug,single-socket,cxl-allow,mem-aes-256-xts,rapl-dis,ciphertext-hiding (KVM_X86_SNP_POLICY_BITS)\n")
        let off = try show("snp-policy-bits", "milan-kvm-snp-off")
        XCTAssertEqual(off.status, 1)
        XCTAssertEqual(off.stderr, "sevhost: KVM_X86_SNP_POLICY_BITS: not offered (Linux before 6.19) and kvm_amd sev_snp is not on: KVM accepts no SNP policy\n")
    }

    func testShowASIDs() throws {
        XCTAssertEqual(try show("asids", "genoa-snp-features").stdout,
                       "sev: 100-1006 (907)\nsev-es: 51-99 (49)\nsev-snp: 1-50 (50)\nciphertext-hiding: 50\nin use: sev 1, sev-es and sev-snp 2\n")
        XCTAssertEqual(try show("asids", "genoa-no-es-asids").stdout, "sev: 1-1006 (1006)\nsev-es: none\nsev-snp: none\nin use: sev 1, sev-es and sev-snp 2\n")
    }

    func testShowSEVFirmwareFile() throws {
        XCTAssertEqual(try show("sev-firmware-file", "milan-sev-firmware-not-taken").stdout, """
            file: /lib/firmware/amd/amd_sev_fam19h_model0xh.sbin (1.55.29)
            running: 1.55.21
            kernel log: loaded amd/amd_sev_fam19h_model0xh.sbin, SEV API 1.55 build 21

            """)
        XCTAssertEqual(try show("sev-firmware-file", "milan-snp").stdout, """
            file: /lib/firmware/amd/amd_sev_fam19h_model0xh.sbin (1.55.21)
            running: 1.55.21
            kernel log: loaded amd/amd_sev_fam19h_model0xh.sbin, update successful, SEV API 1.55 build 21

            """)
    }

    /// The committed version comes from a guest's report (the host's commands do not say it):
    /// virtee/sev's Milan report, made under 1.52.4 with 1.52.4 committed.
    func testShowSEVFirmwareFileWithAReport() throws {
        let report = try TestData.url("virtee-sev/tests/certs_data/report_milan.hex").path
        let result = try Subprocess.sevhost(["show", "sev-firmware-file", "--host-root", Self.hosts.appendingPathComponent("milan-snp").path, "--report", report])
        XCTAssertEqual(result.stdout, """
            file: /lib/firmware/amd/amd_sev_fam19h_model0xh.sbin (1.55.21)
            running: 1.55.21
            committed: 1.52.4 (the report's COMMITTED_MAJOR, _MINOR, _BUILD; it ran 1.52.4)
            kernel log: loaded amd/amd_sev_fam19h_model0xh.sbin, update successful, SEV API 1.55 build 21

            """)
        let short = FileManager.default.temporaryDirectory.appendingPathComponent("short-report-\(UUID().uuidString).bin")
        try Data(count: 100).write(to: short)
        defer { try? FileManager.default.removeItem(at: short) }
        let bad = try Subprocess.sevhost(["show", "sev-firmware-file", "--host-root", Self.hosts.appendingPathComponent("milan-snp").path, "--report", short.path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stdout, "")
        XCTAssertEqual(bad.stderr, "sevhost: \(short.path): expected a 1184-byte report (raw or hex), got 100 bytes\n")
    }

    func testShowGenerationOfAnUnknownFamily() throws {
        XCTAssertEqual(try show("generation", "family1a-unknown-snp").stdout,
                       "unknown EPYC (SEV-SNP): family 0x1a model 0x50 is not in sevhost's table of EPYC products: SEV-SNP from CPUID 0x8000001F EAX 0x3b; TCB versions read with Turin's (FMC byte 0, as family 0x1a) layout; the KDS product name is unknown\n")
    }

    /// The launch builder refuses a policy bit the captured host's KVM does not accept, naming it.
    func testLaunchRefusesAPolicyBitKVMDoesNotAccept() throws {
        let spec = FileManager.default.temporaryDirectory.appendingPathComponent("kvm-bits-\(UUID().uuidString).yaml")
        try """
            name: kvm-bits
            vcpus: 2
            memory: 2G
            firmware:
              path: /usr/share/ovmf/OVMF.fd
            confidential:
              type: sev-snp
              policy: smt,migrate-ma
            """.write(to: spec, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: spec) }
        let milan = try Subprocess.sevhost(["launch", spec.path, "--print", "qemu", "--host-root", Self.hosts.appendingPathComponent("milan-snp").path])
        XCTAssertEqual(milan.status, 1)
        XCTAssertEqual(milan.stdout, "")
        XCTAssertEqual(milan.stderr, "sevhost: \(spec.path):8: confidential.policy: SNP policy 0x70000 sets bit 18 (MIGRATE_MA), which the host's KVM does not accept (0x1bffff, SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18): SNP_LAUNCH_START would fail with ret=-22 fw_error=0\n")
        // The libvirt domain is refused alike, and so is the bit where KVM_X86_SNP_POLICY_BITS says it.
        let domain = try Subprocess.sevhost(["launch", spec.path, "--print", "libvirt", "--host-root", Self.hosts.appendingPathComponent("milan-snp").path])
        XCTAssertEqual(domain.status, 1)
        XCTAssertEqual(domain.stdout, "")
        XCTAssertEqual(domain.stderr, milan.stderr)
        let genoa = try Subprocess.sevhost(["launch", spec.path, "--print", "qemu", "--host-root", Self.hosts.appendingPathComponent("genoa-snp-features").path])
        XCTAssertEqual(genoa.status, 1)
        XCTAssertEqual(genoa.stderr, "sevhost: \(spec.path):8: confidential.policy: SNP policy 0x70000 sets bit 18 (MIGRATE_MA), which the host's KVM does not accept (0x1fbffff, KVM_X86_SNP_POLICY_BITS): SNP_LAUNCH_START would fail with ret=-22 fw_error=0\n")
        // RAPL_DIS (bit 23) passes where KVM_X86_SNP_POLICY_BITS includes it, and not before 6.19.
        try String(contentsOf: spec, encoding: .utf8).replacingOccurrences(of: "smt,migrate-ma", with: "smt,rapl-dis").write(to: spec, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Subprocess.sevhost(["launch", spec.path, "--print", "qemu", "--host-root", Self.hosts.appendingPathComponent("genoa-snp-features").path]).status, 0)
        let older = try Subprocess.sevhost(["launch", spec.path, "--print", "qemu", "--host-root", Self.hosts.appendingPathComponent("milan-snp").path])
        XCTAssertEqual(older.status, 1)
        XCTAssertEqual(older.stderr, "sevhost: \(spec.path):8: confidential.policy: SNP policy 0x830000 sets bit 23 (RAPL_DIS), which the host's KVM does not accept (0x1bffff, SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18): SNP_LAUNCH_START would fail with ret=-22 fw_error=0\n")
    }
}
