import Foundation
import Launch
import XCTest

final class SpecLoaderTests: XCTestCase {
    let minimal = """
        name: g
        vcpus: 2
        memory: 4G
        firmware:
          path: /fw/OVMF.fd
        confidential:
          type: sev-snp
          policy: 0x30000

        """

    func load(_ text: String) throws -> VMSpec { try SpecLoader.load(text: text, file: "g.yaml") }

    func assertSpecError(_ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(text), file: file, line: line) { error in
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    func testMinimalYAML() throws {
        let spec = try load(minimal)
        XCTAssertEqual(spec, VMSpec(
            name: "g", vcpus: 2, memory: MemorySize(mebibytes: 4096), firmware: FirmwareSpec(path: "/fw/OVMF.fd"),
            confidential: ConfidentialSpec(type: .sevSNP, policy: "0x30000")))
    }

    func testJSONIsTheSameSchema() throws {
        let json = """
            {"name": "g", "vcpus": 2, "memory": "4G", "firmware": {"path": "/fw/OVMF.fd"},
             "confidential": {"type": "sev-snp", "policy": "0x30000"}}
            """
        XCTAssertEqual(try load(json), try load(minimal))
        XCTAssertEqual(try Samples.spec("sev.json").confidential.type, .sev)
    }

    func testIntegerPolicyIsRead() throws {
        let spec = try load(minimal.replacingOccurrences(of: "0x30000", with: "196608"))
        XCTAssertEqual(try LaunchPlan.resolve(spec, host: nil, firmware: nil).policy.hex, "0x30000")
    }

    func testMemorySizes() {
        XCTAssertEqual(MemorySize(parsing: "4096")?.mebibytes, 4096)
        XCTAssertEqual(MemorySize(parsing: "4096M")?.mebibytes, 4096)
        XCTAssertEqual(MemorySize(parsing: "4G")?.mebibytes, 4096)
        XCTAssertEqual(MemorySize(parsing: "2GiB")?.mebibytes, 2048)
        XCTAssertNil(MemorySize(parsing: "4T"))
        XCTAssertNil(MemorySize(parsing: "0"))
        XCTAssertEqual(MemorySize(mebibytes: 1536).description, "1536M")
    }

    func testUnknownKeyNamesFieldAndLine() {
        assertSpecError(
            minimal.replacingOccurrences(of: "  policy: 0x30000", with: "  policy: 0x30000\n  kernel-hash: true"),
            "g.yaml:9: confidential.kernel-hash: unknown key (expected one of: type, policy, vm-type, kernel-hashes, pre-attestation, dh-cert-file, session-file, id-block, id-auth, author-key-enabled, host-data, guest-visible-workarounds, vcek-disabled, id-key, author-key, family-id, image-id, guest-svn, launch-digest)")
    }

    func testWrongTypeNamesFieldAndLine() {
        assertSpecError(minimal.replacingOccurrences(of: "vcpus: 2", with: "vcpus: two"), "g.yaml:2: vcpus: expected a whole number")
    }

    func testBadEnumValue() {
        assertSpecError(
            minimal.replacingOccurrences(of: "type: sev-snp", with: "type: snp"),
            "g.yaml:7: confidential.type: expected one of: sev, sev-es, sev-snp")
    }

    func testVMTypeValues() throws {
        let sevES = minimal.replacingOccurrences(of: "type: sev-snp\n  policy: 0x30000", with: "type: sev-es\n  policy: 0x5\n  vm-type: init2")
        XCTAssertEqual(try load(sevES).confidential.vmType, .init2)
        assertSpecError(
            sevES.replacingOccurrences(of: "vm-type: init2", with: "vm-type: auto"),
            "g.yaml:9: confidential.vm-type: expected one of: legacy, init2")
    }

    func testBadMemory() {
        assertSpecError(
            minimal.replacingOccurrences(of: "memory: 4G", with: "memory: 4T"),
            "g.yaml:3: memory: '4T' is not a memory size (expected MiB or a size such as 4096M or 4G)")
    }

    func testMissingField() {
        assertSpecError(minimal.replacingOccurrences(of: "vcpus: 2\n", with: ""), "g.yaml:1: vcpus: is required but missing")
    }

    func testMissingNestedField() {
        assertSpecError(
            minimal.replacingOccurrences(of: "  path: /fw/OVMF.fd", with: "  vars: /fw/VARS.fd"),
            "g.yaml:5: firmware.path: is required but missing")
    }

    func testListItemField() {
        assertSpecError(
            minimal + "disks:\n  - path: /a.img\n  - path: /b.img\n    format: vmdk\n",
            "g.yaml:12: disks[1].format: expected one of: raw, qcow2")
    }

    func testYAMLSyntaxError() {
        assertSpecError("name: [g\nvcpus: 1\n", "g.yaml:2: invalid YAML/JSON: did not find expected ',' or ']'")
    }

    func testEmptyAndNonMapping() {
        assertSpecError("", "g.yaml: the file is empty (expected a VM spec mapping)")
        assertSpecError("- a\n", "g.yaml:1: expected a mapping of spec keys at the top level")
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try SpecLoader.load(path: "/nonexistent/vm.yaml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/vm.yaml: cannot read the spec file: No such file or directory")
        }
    }

    /// `--print json` output is itself a spec that resolves to the same plan.
    func testResolvedJSONRoundTrips() throws {
        for name in Samples.names {
            let plan = try Samples.plan(name)
            let again = try SpecLoader.load(text: plan.json(), file: "\(name).json")
            XCTAssertEqual(again, plan.resolvedSpec, name)
            let replanned = try LaunchPlan.resolve(again, host: Samples.host, firmware: Samples.capableFirmware, readFile: Samples.files)
            XCTAssertEqual(replanned.resolvedSpec, plan.resolvedSpec, name)
            XCTAssertEqual(try QEMUCommandBuilder().arguments(for: replanned), try QEMUCommandBuilder().arguments(for: plan), name)
        }
    }

    func testResolvedJSONText() throws {
        XCTAssertEqual(try Samples.plan("snp.yaml").json(), """
            {
              "allow-debug" : false,
              "confidential" : {
                "kernel-hashes" : false,
                "policy" : "0x30000",
                "pre-attestation" : false,
                "type" : "sev-snp",
                "vcek-disabled" : false
              },
              "cpu" : "EPYC-v4",
              "disks" : [
                {
                  "format" : "qcow2",
                  "path" : "/var/lib/sevhost/snp-guest/disk.qcow2",
                  "readonly" : false
                }
              ],
              "firmware" : {
                "mode" : "bios",
                "path" : "/usr/share/ovmf/OVMF.fd"
              },
              "machine" : "q35",
              "memory" : "8G",
              "name" : "snp-guest",
              "nics" : [
                {
                  "tap" : "tap0",
                  "type" : "tap"
                }
              ],
              "production" : true,
              "qmp" : "/run/sevhost/snp-guest.qmp",
              "vcpus" : 4
            }

            """)
    }

    /// Refusals found after decoding are located through the field's line.
    func testFieldLines() throws {
        let (spec, lines) = try SpecLoader.loadWithLines(
            text: minimal + "disks:\n  - path: /a.img\n  - path: /b.img\n    format: raw\n", file: "g.yaml")
        XCTAssertEqual(lines.line(of: "confidential.policy"), 8)
        XCTAssertEqual(lines.line(of: "disks[1].format"), 12)
        XCTAssertEqual(lines.line(of: "confidential.id-block"), 6, "falls back to the enclosing confidential:")
        XCTAssertNil(lines.line(of: "kernel"))
        var bad = spec
        bad.confidential.policy = "0x10000"
        XCTAssertThrowsError(try LaunchPlan.resolve(bad, host: nil, firmware: nil)) { error in
            XCTAssertEqual((error as? LaunchError)?.field, "confidential.policy")
        }
    }
}
