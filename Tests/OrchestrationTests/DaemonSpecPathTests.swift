import Foundation
import Launch
import Orchestration
import XCTest

/// What `sevhost vm create` sends: the spec with its relative paths made absolute, as JSON
/// that reads back as the same spec.
final class DaemonSpecPathTests: XCTestCase {
    static let relative = """
        name: web
        vcpus: 2
        memory: 2G
        firmware:
          path: OVMF_CODE.fd
          vars: ./vars/OVMF_VARS.fd
        kernel:
          path: ../boot/vmlinuz
          initrd: initrd.img
          append: console=ttyS0
        disks:
          - path: disk.qcow2
          - path: /srv/images/data.raw
            format: raw
        qmp: web.qmp
        serial: file:serial.log
        confidential:
          type: sev
          policy: "0x1"
          pre-attestation: true
          dh-cert-file: owner/godh.b64
          session-file: /etc/sevhost/session.b64
        """

    func testRelativePathsAreJoinedOntoTheSpecDirectory() throws {
        let spec = try SpecLoader.load(text: Self.relative, file: "web.yaml")
        let absolute = spec.absolutizingPaths(relativeTo: "/srv/specs")
        XCTAssertEqual(absolute.firmware.path, "/srv/specs/OVMF_CODE.fd")
        XCTAssertEqual(absolute.firmware.vars, "/srv/specs/vars/OVMF_VARS.fd")
        XCTAssertEqual(absolute.kernel?.path, "/srv/specs/../boot/vmlinuz")
        XCTAssertEqual(absolute.kernel?.initrd, "/srv/specs/initrd.img")
        XCTAssertEqual(absolute.kernel?.append, "console=ttyS0")
        XCTAssertEqual(absolute.disks?.map(\.path), ["/srv/specs/disk.qcow2", "/srv/images/data.raw"])
        XCTAssertEqual(absolute.qmp, "/srv/specs/web.qmp")
        XCTAssertEqual(absolute.serial, "file:/srv/specs/serial.log")
        XCTAssertEqual(absolute.confidential.dhCertFile, "/srv/specs/owner/godh.b64")
        XCTAssertEqual(absolute.confidential.sessionFile, "/etc/sevhost/session.b64")
        // Nothing else changes.
        var expected = spec
        expected.firmware = absolute.firmware
        expected.kernel = absolute.kernel
        expected.disks = absolute.disks
        expected.qmp = absolute.qmp
        expected.serial = absolute.serial
        expected.confidential.dhCertFile = absolute.confidential.dhCertFile
        XCTAssertEqual(absolute, expected)
    }

    func testARelativeSpecDirectoryIsTakenFromTheCurrentDirectory() throws {
        let spec = try SpecLoader.load(text: Self.relative, file: "web.yaml")
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(spec.absolutizingPaths(relativeTo: "specs").firmware.path, cwd + "/specs/OVMF_CODE.fd")
        XCTAssertEqual(spec.absolutizingPaths(relativeTo: "").firmware.path, cwd + "/OVMF_CODE.fd")
    }

    func testSerialChardevsWithAndWithoutPaths() {
        let cases: [(String, String)] = [
            ("stdio", "stdio"), ("pty", "pty"), ("none", "none"), ("/dev/ttyS1", "/dev/ttyS1"),
            ("file:/var/log/x.log", "file:/var/log/x.log"), ("file:x.log", "file:/base/x.log"),
            ("pipe:fifo", "pipe:/base/fifo"), ("unix:con.sock,server=on,wait=off", "unix:/base/con.sock,server=on,wait=off"),
            ("tcp:127.0.0.1:4444", "tcp:127.0.0.1:4444"), ("file:", "file:"),
        ]
        var spec = VMSpec(
            name: "a", vcpus: 1, memory: MemorySize(mebibytes: 512), firmware: FirmwareSpec(path: "/f"),
            confidential: ConfidentialSpec(type: .sev))
        for (given, expected) in cases {
            spec.serial = given
            XCTAssertEqual(spec.absolutizingPaths(relativeTo: "/base").serial, expected, given)
        }
    }

    func testTheJSONReadsBackAsTheSameSpec() throws {
        let spec = try SpecLoader.load(text: Self.relative, file: "web.yaml").absolutizingPaths(relativeTo: "/srv/specs")
        let text = spec.jsonText
        XCTAssertEqual(try SpecLoader.load(text: text, file: "sent.json"), spec)
        XCTAssertTrue(text.hasPrefix("{\n  \"confidential\" : {\n    \"dh-cert-file\" : \"/srv/specs/owner/godh.b64\",\n"), text)
        XCTAssertTrue(text.contains("\"memory\" : \"2G\""), text)
    }
}
