import Foundation
import SEVTestSupport
import XCTest

/// `sevhost ok --features` on captured hosts: Secure TSC (CPUID 0x8000001F EAX bit 8 and
/// KVM_X86_SEV_VMSA_FEATURES bit 9) and SNP certificate requests (KVM_X86_SEV_SNP_REQ_CERTS)
/// with the table sevhost keeps, passing on a Genoa with Linux 7.0 and failing on a Milan with 6.12.
final class OkFeaturesTests: XCTestCase {
    static let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts")

    private func ok(_ host: String, _ extra: [String] = []) throws -> ProcessResult {
        try Subprocess.sevhost(["ok", "snp", "--host-root", Self.hosts.appendingPathComponent(host).path] + extra)
    }

    private func lines(_ result: ProcessResult, containing word: String) -> [String] {
        result.stdout.split(separator: "\n").map(String.init).filter { $0.contains(word) }
    }

    func testFeaturesPassWithTheKernelAttributesAndATable() throws {
        let plain = try ok("genoa-snp-features")
        XCTAssertEqual(plain.status, 0, plain.stdout)
        XCTAssertEqual(lines(plain, containing: "Secure TSC"), [], "optional features only with --features")
        let features = try ok("genoa-snp-features", ["--features"])
        XCTAssertEqual(features.status, 0, features.stdout)
        XCTAssertEqual(lines(features, containing: "Secure TSC"), ["[ PASS ] - (Optional Features) Secure TSC: Configurable"])
        XCTAssertEqual(lines(features, containing: "certificate requests"), [
            "[ PASS ] - SNP certificate requests: offered by the kernel; table /var/lib/sevhost/snp-certs.bin: ark, ask, vcek",
        ])
        let json = try JSONSerialization.jsonObject(with: Data(try ok("genoa-snp-features", ["--features", "--json"]).stdout.utf8)) as? [String: Any]
        let checks = try XCTUnwrap(json?["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.suffix(2).map { $0["category"] as? String }, ["optional_features", "optional_features"])
    }

    func testFeaturesFailOnAnOlderKernelAndSayWhy() throws {
        let result = try ok("milan-snp-no-features", ["--features"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(lines(result, containing: "Secure TSC"), [
            "[ FAIL ] - (Optional Features) Secure TSC: SecureTSC bit 8 not set in CPUID 0x8000001F EAX: 0x0000003b; SecureTSC not set in KVM sev_supported_vmsa_features: 0x0000000000000001",
            "  - (Optional Features) Secure TSC: Secure TSC needs an EPYC 9004 (Genoa) or later and Linux 6.18 or later with kvm_amd sev_snp=1",
        ])
        XCTAssertEqual(lines(result, containing: "certificate requests"), [
            "[ FAIL ] - SNP certificate requests: KVM_X86_SEV_SNP_REQ_CERTS: No such device or address (os error 6): this kernel cannot ask the VMM for certificates",
            "  - SNP certificate requests: Certificate requests need Linux 7.0 or later with kvm_amd sev_snp=1; without them guests fetch their VCEK from KDS themselves",
        ])
        // The plain report of the same host still passes: SNP guests run without either.
        XCTAssertEqual(try ok("milan-snp-no-features").status, 0)

        // The kernel offers requests, but the table named is not there.
        let missing = try ok("genoa-snp-features", ["--features", "--table", "/var/lib/other/certs.bin"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(lines(missing, containing: "certificate requests"), [
            "[ FAIL ] - SNP certificate requests: offered by the kernel; no certificate table at /var/lib/other/certs.bin",
            "  - SNP certificate requests: Write it: sevhost snp certs import DIR --table /var/lib/other/certs.bin (ARK, ASK and the VCEK for the reported TCB)",
        ])
        XCTAssertEqual(try Subprocess.sevhost(["ok", "--table", "x"]).stderr.split(separator: "\n").first.map(String.init),
                       "sevhost: --table goes with --features")
    }
}
