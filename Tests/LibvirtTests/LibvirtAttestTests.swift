import Foundation
import SEVTestSupport
import XCTest

/// `sevhost launch --connect`, `sevhost attest --connect` and `sevhost hosts` against a real
/// libvirtd 11.3 (`LibvirtSandbox`) whose emulator is sevhost-sim in front of the real QEMU 10:
/// libvirt probes the emulator, sees SEV through the simulated AMD-SP, builds and runs each
/// domain's command line; virsh is the independent client.
final class LibvirtAttestTests: XCTestCase {
    /// The QMP path's words for a measurement that does not verify.
    static let mismatch = "measurement mismatch: the launch measurement is not the one the expected firmware, policy, firmware API version and TIK give"

    override class func tearDown() {
        SharedSandbox.stop()
        super.tearDown()
    }

    /// The measurement virsh reads through libvirt (`domlaunchsecinfo`), base64.
    private func virshMeasurement(_ owner: LibvirtGuestOwner, domain: String) throws -> String {
        let result = try owner.sandbox.virsh(["domlaunchsecinfo", domain])
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("sev-measurement") }, result.stdout)
        return String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
    }

    /// A refusal through libvirt: exit 2, the reason as over QMP, nothing injected, still paused.
    private func assertRefused(
        _ result: ProcessResult, reason: String, owner: LibvirtGuestOwner, domain: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr, "sevhost: attest: refused: \(reason); nothing was injected, the guest stays paused\n", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: owner.sandbox.secretArea(domain: domain)), "a secret reached the guest", file: file, line: line)
        XCTAssertEqual(try owner.domainState(domain), "paused", file: file, line: line)
    }

    func testLaunchThenAttestThroughLibvirtInjectsAndTheGuestRuns() throws {
        let sandbox = try SharedSandbox.get()
        let owner = try LibvirtGuestOwner(sandbox: sandbox)
        defer { owner.stop() }
        let spec = try owner.writeSpec("guest.yaml", name: "lv-attest")
        let launched = try owner.launch(spec: spec)
        XCTAssertEqual(launched.status, 0, launched.stderr)
        let hostname = try sandbox.virsh(["hostname"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(launched.stdout, """
            defined lv-attest on \(hostname) (cbitpos 51, reduced-phys-bits 1)
            started lv-attest paused for pre-attestation: sevhost attest --connect \(sandbox.socketURI) --domain lv-attest

            """)
        XCTAssertEqual(try owner.domainState("lv-attest"), "paused")
        // libvirt built the command line: the SEV object is libvirt's, with sevhost's values.
        let xml = try sandbox.virsh(["dumpxml", "lv-attest"]).stdout
        XCTAssertTrue(xml.contains("<launchSecurity type='sev'>"), xml)
        XCTAssertTrue(xml.contains("<cbitpos>51</cbitpos>"), xml)
        XCTAssertTrue(xml.contains("<policy>0x0001</policy>"), xml)

        let measurement = try virshMeasurement(owner, domain: "lv-attest")
        let secret = try owner.writeSecret()
        let result = try owner.attest(domain: "lv-attest", expect: spec)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.stdout)
        // sevhost and virsh read the same simulated measurement through libvirt.
        let blob = try XCTUnwrap(Data(base64Encoded: measurement))
        XCTAssertEqual(blob.count, 48)
        XCTAssertEqual(lines[0], "measurement: \(blob.prefix(32).map { String(format: "%02x", $0) }.joined()) (verified)")
        XCTAssertEqual(lines[1], "mnonce: \(blob.suffix(16).map { String(format: "%02x", $0) }.joined())")
        XCTAssertEqual(lines[2], "firmware: API 1.55 build 21, policy 0x1")
        XCTAssertEqual(lines[3], "injected: 1 secret(s), \(secret.table.count) bytes; guest continued")
        // The guest got exactly the table, and runs.
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: sandbox.secretArea(domain: "lv-attest")))), secret.table)
        XCTAssertEqual(try owner.domainState("lv-attest"), "running")

        // Running, it takes no more secrets: refused as over QMP, before measuring.
        let again = try owner.attest(domain: "lv-attest", expect: spec)
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(
            again.stderr,
            "sevhost: attest: refused: wrong state: the guest is in state 'running', a secret can only be injected in 'launch-secret'; nothing was injected, the guest stays paused\n")
    }

    /// Each refusal of the QMP path, through libvirt, on one paused guest: nothing injected,
    /// the guest still paused after each, and then the right expectation still attests.
    func testEveryRefusalOfTheQMPPathIsRefusedThroughLibvirt() throws {
        let sandbox = try SharedSandbox.get()
        let owner = try LibvirtGuestOwner(sandbox: sandbox)
        defer { owner.stop() }
        let spec = try owner.writeSpec("guest.yaml", name: "lv-refuse")
        XCTAssertEqual(try owner.launch(spec: spec).status, 0)

        // Wrong TIK: the HMAC does not verify.
        var tik = [UInt8](try Data(contentsOf: URL(fileURLWithPath: owner.path("vm_tik.bin"))))
        tik[0] ^= 0x01
        try Data(tik).write(to: URL(fileURLWithPath: owner.path("wrong_tik.bin")))
        try assertRefused(
            owner.attest(domain: "lv-refuse", expect: spec, tik: owner.path("wrong_tik.bin")), reason: LibvirtAttestTests.mismatch, owner: owner, domain: "lv-refuse")

        // Another firmware expected than the one launched.
        var firmware = [UInt8](try Data(contentsOf: URL(fileURLWithPath: LibvirtGuestOwner.ovmfPath)))
        firmware[0x10000] ^= 0x80
        try Data(firmware).write(to: URL(fileURLWithPath: owner.path("OVMF_other.fd")))
        let otherFirmware = try owner.writeSpec("other-firmware.yaml", name: "lv-refuse", firmware: owner.path("OVMF_other.fd"))
        try assertRefused(owner.attest(domain: "lv-refuse", expect: otherFirmware), reason: LibvirtAttestTests.mismatch, owner: owner, domain: "lv-refuse")

        // Another policy expected than the one launched.
        let otherPolicy = try owner.writeSpec("other-policy.yaml", name: "lv-refuse", policy: "0x3")
        try assertRefused(
            owner.attest(domain: "lv-refuse", expect: otherPolicy), reason: "policy mismatch: the guest was launched with policy 0x1, expected 0x3",
            owner: owner, domain: "lv-refuse")

        // A measurement whose MNONCE is already in the replay log.
        let blob = try XCTUnwrap(Data(base64Encoded: try virshMeasurement(owner, domain: "lv-refuse")))
        let mnonce = blob.suffix(16).map { String(format: "%02x", $0) }.joined()
        try "\(mnonce) 2026-01-01T00:00:00Z\n".write(toFile: owner.path("mnonce.log"), atomically: true, encoding: .utf8)
        let replayed = try owner.attest(domain: "lv-refuse", expect: spec)
        XCTAssertEqual(replayed.status, 2, replayed.stderr)
        XCTAssertTrue(replayed.stderr.hasPrefix("sevhost: attest: refused: replayed measurement: MNONCE \(mnonce)"), replayed.stderr)
        XCTAssertEqual(try owner.domainState("lv-refuse"), "paused")
        try FileManager.default.removeItem(atPath: owner.path("mnonce.log"))

        // A domain that is not there.
        let missing = try owner.attest(domain: "lv-nowhere", expect: spec)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "sevhost: attest: libvirt: Domain not found: no domain with matching name 'lv-nowhere'\n")

        // --on-mismatch quit: libvirt destroys the domain.
        let quit = try owner.attest(domain: "lv-refuse", expect: otherFirmware, extra: ["--on-mismatch", "quit"])
        XCTAssertEqual(quit.status, 2)
        XCTAssertEqual(quit.stderr, "sevhost: attest: refused: \(Self.mismatch); nothing was injected, the guest was told to quit\n")
        XCTAssertEqual(try owner.domainState("lv-refuse"), "shut off")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.secretArea(domain: "lv-refuse")))
    }

    /// `launch --connect` through the second URI form (TCP to 127.0.0.1, standing in for a
    /// remote host) defines the same domain; attest through that URI too.
    func testLaunchAndAttestThroughTheTCPURI() throws {
        let sandbox = try SharedSandbox.get()
        let owner = try LibvirtGuestOwner(sandbox: sandbox)
        defer { owner.stop() }
        let spec = try owner.writeSpec("guest.yaml", name: "lv-tcp")
        let launched = try owner.launch(spec: spec, uri: sandbox.tcpURI)
        XCTAssertEqual(launched.status, 0, launched.stderr)
        let hostname = try sandbox.virsh(["hostname"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(launched.stdout, """
            defined lv-tcp on \(hostname) (cbitpos 51, reduced-phys-bits 1)
            started lv-tcp paused for pre-attestation: sevhost attest --connect \(sandbox.tcpURI) --domain lv-tcp

            """)
        // The Unix socket sees what TCP defined: one daemon.
        XCTAssertEqual(try owner.domainState("lv-tcp"), "paused")
        let secret = try owner.writeSecret()
        let result = try owner.attest(domain: "lv-tcp", expect: spec, uri: sandbox.tcpURI)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: sandbox.secretArea(domain: "lv-tcp")))), secret.table)
        XCTAssertEqual(try owner.domainState("lv-tcp"), "running")

        // A domain of that name exists: libvirt refuses, and the one there is left alone.
        let twice = try owner.launch(spec: spec, uri: sandbox.tcpURI)
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.hasPrefix("sevhost: launch: \(sandbox.tcpURI): operation failed: domain 'lv-tcp' already exists with uuid "), twice.stderr)
        XCTAssertEqual(try owner.domainState("lv-tcp"), "running")
    }

    /// `sevhost hosts` over both URI forms: what libvirt learnt from its probe of sevhost-sim
    /// (SEV and SEV-SNP; no SEV-ES ASIDs, since libvirt counts them from CPUID 0x8000001F, which
    /// this machine hides), and the guests; an unreachable host is named, exit status 1.
    func testHostsShowsEachHostAsItsLibvirtReportsIt() throws {
        let sandbox = try SharedSandbox.get()
        let owner = try LibvirtGuestOwner(sandbox: sandbox)
        defer { owner.stop() }
        let hostname = try sandbox.virsh(["hostname"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try owner.launch(spec: try owner.writeSpec("guest.yaml", name: "lv-hosts")).status, 0)
        let firmware = "1.55 build 21"

        let table = try Subprocess.sevhost(["hosts", sandbox.socketURI, sandbox.tcpURI])
        XCTAssertEqual(table.status, 0, table.stderr)
        let uriWidth = max(sandbox.socketURI.count, sandbox.tcpURI.count)
        func row(_ cells: [String]) -> String {
            let widths = [max(4, hostname.count), uriWidth, 3, 6, 7, 7, 17, max(8, firmware.count), 7, 6]
            return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + cells.last!
        }
        XCTAssertEqual(table.stdout, [
            row(["HOST", "URI", "SEV", "SEV-ES", "SEV-SNP", "CBITPOS", "REDUCED-PHYS-BITS", "FIRMWARE", "RUNNING", "PAUSED", "DOMAINS"]),
            row([hostname, sandbox.socketURI, "yes", "no", "yes", "51", "1", firmware, "0", "1", "1"]),
            row([hostname, sandbox.tcpURI, "yes", "no", "yes", "51", "1", firmware, "0", "1", "1"]),
        ].joined(separator: "\n") + "\n")

        let json = try Subprocess.sevhost(["hosts", sandbox.tcpURI, "qemu+tcp://127.0.0.1:1/system", "--json"])
        XCTAssertEqual(json.status, 1)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(document["schema"] as? String, "sevhost-hosts/1")
        let entries = try XCTUnwrap(document["hosts"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0]["uri"] as? String, sandbox.tcpURI)
        XCTAssertEqual(entries[0]["sev"] as? Bool, true)
        XCTAssertEqual(entries[0]["sev-es"] as? Bool, false)
        XCTAssertEqual(entries[0]["sev-snp"] as? Bool, true)
        XCTAssertEqual(entries[0]["cbitpos"] as? Int, 51)
        XCTAssertEqual(entries[0]["reduced-phys-bits"] as? Int, 1)
        XCTAssertEqual(entries[0]["max-es-guests"] as? Int, 0)
        XCTAssertEqual(entries[0]["libvirt-version"] as? String, "11.3.0")
        let firmwareEntry = try XCTUnwrap(entries[0]["firmware"] as? [String: Any])
        XCTAssertEqual(firmwareEntry.count, 4)
        XCTAssertEqual(firmwareEntry["api-major"] as? Int, 1)
        XCTAssertEqual(firmwareEntry["api-minor"] as? Int, 55)
        XCTAssertEqual(firmwareEntry["build-id"] as? Int, 21)
        XCTAssertEqual(firmwareEntry["domain"] as? String, "lv-hosts")
        XCTAssertEqual(entries[0]["guests"] as? [String: Int], ["running": 0, "paused": 1, "total": 1])
        XCTAssertEqual(entries[1]["uri"] as? String, "qemu+tcp://127.0.0.1:1/system")
        XCTAssertEqual(entries[1]["error"] as? String, "unable to connect to server at '127.0.0.1:1': Connection refused")
        XCTAssertEqual(Set(entries[1].keys), ["uri", "error"])
    }

    /// The two-party form through libvirt: `attest export --connect` writes the bundle (the
    /// platform's PDH from virNodeGetSEVInfo, the measurement from the domain), the owner answers
    /// with `sevhost secret build`, `attest inject --connect` checks the bundle still holds and
    /// injects; the guest runs with the owner's secret.
    func testExportAndInjectThroughLibvirt() throws {
        let sandbox = try SharedSandbox.get()
        let owner = try LibvirtGuestOwner(sandbox: sandbox)
        defer { owner.stop() }
        XCTAssertEqual(try owner.launch(spec: try owner.writeSpec("guest.yaml", name: "lv-export")).status, 0)

        let export = try Subprocess.sevhost(["attest", "export", "--connect", sandbox.socketURI, "--domain", "lv-export", "--out", owner.path("bundle.json")])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(export.stdout, "")
        XCTAssertEqual(export.stderr, "wrote \(owner.path("bundle.json"))\n")
        let bundle = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: owner.path("bundle.json")))) as? [String: Any])
        XCTAssertEqual(bundle["state"] as? String, "launch-secret")
        XCTAssertEqual(bundle["policy"] as? String, "0x1")
        XCTAssertEqual(Data(base64Encoded: try XCTUnwrap(bundle["pdh"] as? String)), try Data(contentsOf: URL(fileURLWithPath: owner.path("pdh.cert"))))
        let measurement = try XCTUnwrap(bundle["measurement"] as? String)
        let blob = try XCTUnwrap(Data(base64Encoded: try virshMeasurement(owner, domain: "lv-export")))
        XCTAssertEqual(Data(base64Encoded: measurement), blob)

        let secret = try owner.writeSecret()
        let build = try Subprocess.sevhost([
            "secret", "build", "--tek", owner.path("vm_tek.bin"), "--tik", owner.path("vm_tik.bin"), "--measurement", measurement,
        ] + secret.arguments)
        XCTAssertEqual(build.status, 0, build.stderr)
        try Data(build.stdout.utf8).write(to: URL(fileURLWithPath: owner.path("answer.txt")))
        let inject = try Subprocess.sevhost([
            "attest", "inject", "--connect", sandbox.tcpURI, "--domain", "lv-export", owner.path("answer.txt"),
            "--bundle", owner.path("bundle.json"), "--gpa", LibvirtGuestOwner.secretGPA,
        ])
        XCTAssertEqual(inject.status, 0, inject.stderr)
        XCTAssertEqual(inject.stdout, "injected \(secret.table.count)-byte secret; guest continued\n")
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: sandbox.secretArea(domain: "lv-export")))), secret.table)
        XCTAssertEqual(try owner.domainState("lv-export"), "running")
    }
}
