import Foundation
import Launch
import SEVTestSupport
import XCTest

/// Every generated domain validates against libvirt's own RELAX NG schema (9.0 for SEV, which
/// predates sev-snp; 11.3 for everything) and survives `virsh define` + `dumpxml` on the test
/// driver with its launchSecurity element unchanged.
final class LibvirtSchemaTests: XCTestCase {
    static let schema113 = "/usr/share/libvirt/schemas/domain.rng"
    static var schema90: String {
        Peers.peersDirectory.appendingPathComponent("libvirt-9.0/root/usr/share/libvirt/schemas/domain.rng").path
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-libvirt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ sample: String, _ edit: (inout VMSpec) -> Void = { _ in }) throws -> (path: String, xml: String) {
        var spec = try Samples.spec(sample)
        edit(&spec)
        let plan = try LaunchPlan.resolve(spec, host: Samples.host, firmware: Samples.capableFirmware, readFile: Samples.files)
        let xml = try Samples.renderer().render(plan)
        let url = scratch.appendingPathComponent(sample + ".xml")
        try Data(xml.utf8).write(to: url)
        return (url.path, xml)
    }

    func validate(_ path: String, schema: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.fileExists(atPath: schema) else { try Peers.missing(schema) }
        let xmllint = try Peers.executable("/usr/bin/xmllint")
        let result = try Subprocess.run(xmllint, ["--noout", "--relaxng", schema, path])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr, "\(path) validates\n", file: file, line: line)
    }

    /// The `<launchSecurity …>…</launchSecurity>` element of a domain document.
    static func launchSecurity(_ xml: String) -> String? {
        guard let start = xml.range(of: "<launchSecurity"), let end = xml.range(of: "</launchSecurity>") else { return nil }
        return String(xml[start.lowerBound..<end.upperBound])
    }

    func assertRoundTrips(
        _ sample: String, _ edit: (inout VMSpec) -> Void = { _ in }, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let virsh = try Peers.executable("/usr/bin/virsh")
        let (path, xml) = try write(sample, edit)
        let name = try Samples.spec(sample).name
        let result = try Subprocess.run(virsh, ["-q", "-c", "test:///default", "define \(path); dumpxml \(name)"])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let original = try XCTUnwrap(Self.launchSecurity(xml), file: file, line: line)
        XCTAssertEqual(Self.launchSecurity(result.stdout), original, file: file, line: line)
        XCTAssertTrue(result.stdout.contains("<name>\(name)</name>"), file: file, line: line)
    }

    func testSEVValidatesAgainstLibvirt90And113() throws {
        for sample in ["sev.yaml", "sev-es.yaml"] {
            let (path, _) = try write(sample)
            try validate(path, schema: Self.schema90)
            try validate(path, schema: Self.schema113)
        }
    }

    func testSNPValidatesAgainstLibvirt113() throws {
        for sample in ["snp.yaml", "snp-idblock.yaml"] {
            let (path, _) = try write(sample)
            try validate(path, schema: Self.schema113)
        }
    }

    /// The check above can fail: libvirt 9.0's schema has no sev-snp.
    func testLibvirt90RejectsSNP() throws {
        guard FileManager.default.fileExists(atPath: Self.schema90) else { try Peers.missing(Self.schema90) }
        let (path, _) = try write("snp.yaml")
        let result = try Subprocess.run(try Peers.executable("/usr/bin/xmllint"), ["--noout", "--relaxng", Self.schema90, path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.hasSuffix("\(path) fails to validate\n"), result.stderr)
    }

    func testSEVRoundTripsThroughVirsh() throws {
        try assertRoundTrips("sev.yaml")
        try assertRoundTrips("sev-es.yaml")
    }

    func testSNPRoundTripsThroughVirsh() throws {
        try assertRoundTrips("snp.yaml")
        try assertRoundTrips("snp-idblock.yaml")
    }

    /// The attribute values the samples leave out: SNP `authorKey='no'` and `vcek='no'`.
    /// (SEV's `<handle>` is not offered: libvirt drops it from a defined domain and QEMU 10's
    /// sev-guest has no such property, so it would be a setting with no effect.)
    func testRemainingLaunchSecurityFields() throws {
        let vlek: (inout VMSpec) -> Void = {
            $0.confidential.vcekDisabled = true
            $0.confidential.authorKeyEnabled = false
        }
        let (snpPath, snpXML) = try write("snp-idblock.yaml", vlek)
        XCTAssertTrue(snpXML.contains("<launchSecurity type='sev-snp' kernelHashes='yes' authorKey='no' vcek='no'>"))
        try validate(snpPath, schema: Self.schema113)
        try assertRoundTrips("snp-idblock.yaml", vlek)
    }
}
