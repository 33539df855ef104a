import Foundation
import SEVTestSupport
import XCTest

/// `sevhost show` facts, and what a malformed or partial captured host gets.
final class ShowAndCaptureErrorTests: XCTestCase {
    let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts")

    func show(_ fact: String, _ host: String) throws -> ProcessResult {
        try Subprocess.sevhost(["show", fact, "--host-root", hosts.appendingPathComponent(host).path])
    }

    func testShowReadsCPUIDThroughTheHostRoot() throws {
        let expectations: [(String, String, String)] = [
            ("cbitpos", "milan-snp", "51\n"), ("reduced-phys-bits", "milan-snp", "1\n"),
            ("cbitpos", "rome-sev-es", "47\n"), ("reduced-phys-bits", "rome-sev-es", "5\n"),
            ("generation", "milan-snp", "Milan (SEV-SNP)\n"), ("generation", "genoa-snp", "Genoa (SEV-SNP)\n"),
            ("generation", "rome-sev-es", "Rome (SEV-ES)\n"), ("generation", "naples-sev", "Naples (SEV)\n"),
        ]
        for (fact, host, output) in expectations {
            let result = try show(fact, host)
            XCTAssertEqual(result.stdout, output, "\(fact) \(host)")
            XCTAssertEqual(result.status, 0)
        }
    }

    func testShowRefusesHostsWithoutSEV() throws {
        let intel = try show("cbitpos", "intel")
        XCTAssertEqual(intel.status, 1)
        XCTAssertEqual(intel.stdout, "")
        XCTAssertEqual(intel.stderr, "sevhost: this CPU does not report SEV (CPUID 0x8000001F EAX bit 1 is clear)\n")

        let guest = try show("reduced-phys-bits", "guest-vm")
        XCTAssertEqual(guest.stderr, "sevhost: this CPU does not report SEV (CPUID 0x8000001F EAX bit 1 is clear); it is a virtual machine: ask the bare-metal host\n")

        let generation = try show("generation", "intel")
        XCTAssertEqual(generation.stderr, "sevhost: GenuineIntel family 0x6 model 0x8f is not an SEV-capable EPYC\n")
    }

    /// A copy of the healthy Milan capture with one change made by `damage`.
    func damagedCapture(_ damage: (URL) throws -> Void) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-damaged-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: hosts.appendingPathComponent("milan-snp"), to: copy)
        addTeardownBlock { try? FileManager.default.removeItem(at: copy) }
        try damage(copy)
        return copy
    }

    func assertCaptureError(_ damage: (URL) throws -> Void, _ message: (String) -> String, line: UInt = #line) throws {
        let root = try damagedCapture(damage)
        for command in [["ok"], ["show", "cbitpos"]] {
            let result = try Subprocess.sevhost(command + ["--host-root", root.path])
            XCTAssertEqual(result.status, 1, line: line)
            XCTAssertEqual(result.stdout, "", line: line)
            XCTAssertEqual(result.stderr, "sevhost: captured host: " + message(root.path) + "\n", line: line)
        }
    }

    func testMalformedCapturesNameTheFile() throws {
        try assertCaptureError({ try FileManager.default.removeItem(at: $0.appendingPathComponent("cpuid.json")) }) {
            "\($0)/cpuid.json: missing: a captured host must hold it (see `sevhost capture`)"
        }
        try assertCaptureError({ try FileManager.default.removeItem(at: $0.appendingPathComponent("proc/cmdline")) }) {
            "\($0)/proc/cmdline: missing: a captured host must hold it (see `sevhost capture`)"
        }
        try assertCaptureError({ try Data("{\"leaves\": [".utf8).write(to: $0.appendingPathComponent("cpuid.json")) }) {
            "\($0)/cpuid.json: not valid JSON"
        }
        try assertCaptureError({
            try Data(#"{"leaves": [{"leaf": "0x0", "subleaf": "0x0", "eax": "0x10", "ebx": "zz", "ecx": "0x0", "edx": "0x0"}]}"#.utf8)
                .write(to: $0.appendingPathComponent("cpuid.json"))
        }) {
            "\($0)/cpuid.json: leaves[0].ebx: expected a hex number like \"0x1f\", found \"zz\""
        }
        try assertCaptureError({
            try Data(#"{"leaves": [{"leaf": "0x0", "subleaf": "0x0", "eax": "0x10", "ebx": "0x0", "ecx": "0x0"}]}"#.utf8)
                .write(to: $0.appendingPathComponent("cpuid.json"))
        }) {
            "\($0)/cpuid.json: missing field \"edx\" in leaves[0]"
        }
        try assertCaptureError({
            try Data(#"{"leaves": [{"leaf": "0x0", "subleaf": "0x0", "eax": "0x10", "ebx": "0x0", "ecx": "0x0", "edx": "0x0"}]}"#.utf8)
                .write(to: $0.appendingPathComponent("cpuid.json"))
        }) {
            "\($0)/cpuid.json: leaf 0x1 is missing (every capture records it)"
        }
        try assertCaptureError({ try Data("[]".utf8).write(to: $0.appendingPathComponent("dev.json")) }) {
            "\($0)/dev.json: top level: expected Dictionary<String, Any>"
        }
        try assertCaptureError({
            try Data(#"{"platform-status": {"api-major": 1}}"#.utf8).write(to: $0.appendingPathComponent("firmware.json"))
        }) {
            "\($0)/firmware.json: missing field \"api-minor\" in platform-status"
        }
        try assertCaptureError({ try Data(#"{"registers": {"0xc0010010": 5.5}}"#.utf8).write(to: $0.appendingPathComponent("msr.json")) }) {
            "\($0)/msr.json: registers.0xc0010010: expected a hex string like \"0x1f\" or an unsigned integer"
        }
    }

    func testHostRootMustBeADirectory() throws {
        let result = try Subprocess.sevhost(["ok", "--host-root", "/nonexistent/capture"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: captured host: /nonexistent/capture: is not a directory holding a captured host\n")
    }
}
