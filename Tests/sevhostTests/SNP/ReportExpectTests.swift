import Foundation
import SEVKit
import SEVLaunchSimulator
import SEVTestSupport
import XCTest

/// `sevhost report verify REPORT… --expect SPEC`: reports of a guest launched from the argv
/// `sevhost launch` writes for a signed spec (run on the simulated AMD-SP in process) verify
/// against the spec, and each way a report can differ from the spec is named.
final class ReportExpectTests: XCTestCase {
    static let debianOVMF = "/usr/share/ovmf/OVMF.fd"
    static let hostData = "c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU="
    static let reportData = String(repeating: "5a", count: 64)

    nonisolated(unsafe) private static var authority: SimulatedSNPPlatform.Authority?

    private var temp: URL!
    private var platform: SimulatedSNPPlatform!
    private var certs: String!
    private var root: String!

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Self.debianOVMF) else { try Peers.missing(Self.debianOVMF) }
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("snp-expect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        let authority = try Self.authority ?? SimulatedSNPPlatform.Authority.generate(product: .milan, rsaBits: 2048)
        Self.authority = authority
        platform = try SimulatedSNPPlatform(configuration: .milan, authority: authority)
        let dir = temp.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, cert) in zip(["ark.pem", "ask.pem", "vcek.pem"], platform.certificates) {
            try Data(cert.pem.utf8).write(to: dir.appendingPathComponent(name))
        }
        certs = dir.path
        root = dir.appendingPathComponent("ark.pem").path
    }

    override func tearDown() {
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    private func key(_ name: String) throws -> String { try TestData.url("virtee-sev-snp-measure/tests/keyfile/\(name)").path }

    private func spec(_ name: String = "vm.yaml", vcpus: Int = 2, policy: String = "0x30000", idKey: String? = nil,
                      hostData: String = ReportExpectTests.hostData) throws -> String {
        let url = temp.appendingPathComponent(name)
        try Data("""
            name: snp-expect
            vcpus: \(vcpus)
            cpu: EPYC-Milan
            memory: 1G
            firmware:
              path: \(Self.debianOVMF)
            confidential:
              type: sev-snp
              policy: "\(policy)"
              id-key: \(try idKey ?? key("id_key_test.pem"))
              author-key: \(try key("author_key_test.pem"))
              family-id: "0000000000000000000000000000f00d"
              image-id: "000000000000000000000000000000b1"
              guest-svn: 4
              host-data: \(hostData)
            """.utf8).write(to: url)
        return url.path
    }

    /// The guest QEMU would start from `sevhost launch SPEC`'s argv, on the simulated AMD-SP.
    private func launch(_ spec: String, on platform: SimulatedSNPPlatform? = nil) throws -> SimulatedSNPGuest {
        let r = try Subprocess.sevhost(["launch", spec, "--print", "qemu", "--cbitpos", "51", "--reduced-phys-bits", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let command = PrintedQEMUCommand(r.stdout)
        func value(_ option: String) throws -> String { try XCTUnwrap(command.value(option)) }
        let object = try XCTUnwrap(command.objectProperties("sev-snp-guest"))
        func base64(_ key: String) -> [UInt8]? { object[key].flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } }
        let configuration = SimulatedSNPLaunchConfiguration(
            firmware: try OVMFImage(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: try value("-bios"))))),
            hashTable: nil, vcpus: try XCTUnwrap(Int(try value("-smp"))),
            vcpuSignature: try XCTUnwrap(VCPUType.named(try value("-cpu"))).signature,
            policy: try XCTUnwrap(UInt64(try XCTUnwrap(object["policy"]).dropFirst(2), radix: 16)),
            finish: .init(idBlock: base64("id-block"), idAuth: base64("id-auth"), authorKeyEnabled: object["author-key-enabled"] == "on",
                          hostData: base64("host-data")))
        return try SimulatedSNPLaunch.run(configuration, platform: platform ?? self.platform)
    }

    private func report(_ guest: SimulatedSNPGuest, data: String = ReportExpectTests.reportData, name: String,
                        platform: SimulatedSNPPlatform? = nil) throws -> String {
        let report = try guest.report(reportData: try XCTUnwrap(Hex.decode(data)), platform: platform ?? self.platform)
        let url = temp.appendingPathComponent(name)
        try Data(report.bytes).write(to: url)
        return url.path
    }

    private func verify(_ reports: [String], _ options: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["report", "verify"] + reports + ["--certs", certs] + options)
    }

    private func verdict(_ r: ProcessResult) -> String {
        r.stdout.split(separator: "\n").last.map(String.init) ?? ""
    }

    // MARK: -

    func testReportsOfTheSignedLaunchVerifyAgainstTheSpec() throws {
        let spec = try spec()
        let guest = try launch(spec)
        let reports = try (1...3).map { try report(guest, name: "report\($0).bin") }
        let r = try verify(reports, ["--test-root", root, "--expect", spec, "--report-data", Self.reportData])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for report in reports {
            XCTAssertTrue(lines.contains("report \(report): VALID (25 checks passed)"), r.stdout)
        }
        XCTAssertEqual(lines.prefix(26).map { String($0.split(separator: ":")[0]) }, [
            "PASS ark-pinned", "PASS ark-self-signed", "PASS ask-signed-by-ark", "PASS vcek-signed-by-ask", "PASS intermediate-role",
            "PASS ark-validity", "PASS ask-validity", "PASS vcek-validity", "PASS signature-algorithm", "PASS signing-key",
            "PASS report-signature", "PASS tcb", "PASS chip-binding", "PASS report-data", "PASS no-debug",
            "PASS measurement", "PASS policy", "PASS host-data", "PASS id-key-digest", "PASS author-key-digest",
            "PASS author-key-enabled", "PASS family-id", "PASS image-id", "PASS guest-svn", "PASS vmpl",
            "report \(reports[0])",
        ])
        XCTAssertTrue(lines.contains("PASS measurement: \(Hex.encode(guest.measurement))"), r.stdout)
        XCTAssertTrue(lines.contains("PASS guest-svn: 4"), r.stdout)
        XCTAssertTrue(lines.contains("PASS family-id: 0000000000000000000000000000f00d"), r.stdout)

        // A guest owner holding only the public keys computes the same expectation.
        let openssl = try Peers.executable("/usr/bin/openssl")
        let publicKey = temp.appendingPathComponent("id.pub.pem").path
        XCTAssertEqual(try Subprocess.run(openssl, ["ec", "-in", try key("id_key_test.pem"), "-pubout", "-out", publicKey]).status, 0)
        let ownerSpec = try self.spec("owner.yaml", idKey: publicKey)
        let owner = try verify([reports[0]], ["--test-root", root, "--expect", ownerSpec, "--json"])
        XCTAssertEqual(owner.status, 0, owner.stdout + owner.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(owner.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["valid"] as? Bool, true)
        XCTAssertEqual((json["reports"] as? [[String: Any]])?.first?["failed"] as? [String], [])
    }

    /// The simulated ARK is not AMD's: without --test-root the chain fails at its root, and
    /// nothing else does.
    func testWithoutTheTestRootOnlyThePinFails() throws {
        let spec = try spec()
        let report = try report(try launch(spec), name: "r.bin")
        let r = try verify([report], ["--expect", spec])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(verdict(r), "report \(report): INVALID: ark-pinned")
    }

    func testEachDifferenceIsNamed() throws {
        let spec = try spec()
        let guest = try launch(spec)
        let good = try report(guest, name: "good.bin")
        let trusted = ["--test-root", root!, "--report-data", Self.reportData]

        // Another REPORT_DATA than the relying party's nonce.
        let stale = try report(guest, data: String(repeating: "00", count: 64), name: "stale.bin")
        var r = try verify([stale], trusted + ["--expect", spec])
        XCTAssertEqual(verdict(r), "report \(stale): INVALID: report-data")

        // Specs that differ from the launch: HOST_DATA, vCPU count, ID key, policy.
        let otherHostData = Data(repeating: 7, count: 32).base64EncodedString()
        let cases: [(String, String, String)] = [
            (try self.spec("host.yaml", hostData: otherHostData), "host-data",
             "FAIL host-data: expected \(String(repeating: "07", count: 32)), report has \(Hex.encode(Data(base64Encoded: Self.hostData)!))"),
            (try self.spec("vcpus.yaml", vcpus: 4), "measurement", "FAIL measurement: expected "),
            (try self.spec("key.yaml", idKey: try key("author_key_test.pem")), "id-key-digest", "FAIL id-key-digest: expected "),
            (try self.spec("policy.yaml", policy: "0x130000"), "policy", "FAIL policy: expected 0x130000, report has 0x30000"),
        ]
        for (other, failed, line) in cases {
            r = try verify([good], trusted + ["--expect", other])
            XCTAssertEqual(r.status, 1, failed)
            XCTAssertEqual(verdict(r), "report \(good): INVALID: \(failed)", r.stdout)
            XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0.hasPrefix(line) }, r.stdout)
        }

        // A report from another chip (same simulated root): not signed by this chip's VCEK.
        let otherChip = try SimulatedSNPPlatform(configuration: .milan, authority: try XCTUnwrap(Self.authority))
        let foreign = try report(try launch(spec, on: otherChip), name: "foreign.bin", platform: otherChip)
        r = try verify([foreign], trusted + ["--expect", spec])
        XCTAssertEqual(verdict(r), "report \(foreign): INVALID: report-signature, chip-binding")

        // A TCB below the relying party's minimum.
        r = try verify([good], trusted + ["--expect", spec, "--min-tcb", "bl=3,tee=0,snp=9,ucode=115"])
        XCTAssertEqual(verdict(r), "report \(good): INVALID: min-tcb")
        XCTAssertTrue(r.stdout.contains("FAIL min-tcb: REPORTED_TCB [bootloader 3, tee 0, snp 8, microcode 115], minimum [bootloader 3, tee 0, snp 9, microcode 115]"))

        // Several reports: each gets its verdict, and the exit status is that of the worst.
        r = try verify([good, stale], trusted + ["--expect", spec])
        XCTAssertEqual(r.status, 1)
        let verdicts = r.stdout.split(separator: "\n").filter { $0.hasPrefix("report ") }
        XCTAssertEqual(verdicts, ["report \(good): VALID (25 checks passed)", "report \(stale): INVALID: report-data"])
    }

    func testOptionsTheSpecAlreadyGivesAreRefused() throws {
        let spec = try spec()
        let r = try verify(["x.bin"], ["--expect", spec, "--measurement", String(repeating: "00", count: 48)])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.hasPrefix("sevhost: --measurement and --expect: the spec gives that value; use one of them\n"), r.stderr)
        // A spec that cannot be resolved is one line naming it.
        let broken = temp.appendingPathComponent("broken.yaml")
        try Data("name: x\n".utf8).write(to: broken)
        let b = try verify([try report(try launch(spec), name: "r.bin")], ["--expect", broken.path])
        XCTAssertEqual(b.status, 1)
        XCTAssertEqual(b.stderr, "sevhost: \(broken.path):1: vcpus: is required but missing\n")
    }
}
