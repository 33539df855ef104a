import Foundation
import SEVTestSupport
import XCTest

/// templates/sevhostd.service as systemd reads it.
final class SystemdUnitTests: XCTestCase {
    private var unit: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("templates/sevhostd.service")
    }

    /// `systemd-analyze verify` with the ExecStart pointed at the built daemon: the only
    /// complaints left are the man pages, which are not installed here.
    func testSystemdAcceptsTheUnit() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            try Peers.missing("systemd-analyze (Debian package systemd)")
        }
        let text = try String(contentsOf: unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/sevhostd", with: DaemonHarness.sevhostd.path)
            .replacingOccurrences(of: "/usr/bin/qemu-system-x86_64", with: "/bin/true")
        var template = Array("/tmp/sevhostd-unit-XXXXXX".utf8CString)
        let directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = directory + "/sevhostd.service"
        try text.write(toFile: copy, atomically: true, encoding: .utf8)
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", copy])
        let complaints = (result.stdout + result.stderr).split(separator: "\n").filter { !$0.contains("Command 'man ") }
        XCTAssertEqual(complaints, [])
    }

    func testTheUnitLeavesGuestsRunningWhenTheDaemonStops() throws {
        let text = try String(contentsOf: unit, encoding: .utf8)
        XCTAssertTrue(text.contains("\nKillMode=process\n"))
        XCTAssertTrue(text.contains("\nRuntimeDirectoryPreserve=yes\n"))
    }

    /// `systemd-analyze security` rates the unit under 5 ("OK"), and nothing in it hides or
    /// freezes a path where a spec may put a guest's files (QEMU inherits the namespace).
    func testTheUnitIsHardenedWithoutHidingGuestFiles() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            try Peers.missing("systemd-analyze (Debian package systemd)")
        }
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["security", "--offline=true", "--no-pager", unit.path])
        let verdict = try XCTUnwrap(result.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }, result.stdout + result.stderr)
        let score = try XCTUnwrap(Double(verdict.split(separator: ":").last!.split(separator: " ").first!), String(verdict))
        XCTAssertLessThan(score, 5, String(verdict))
        let text = try String(contentsOf: unit, encoding: .utf8)
        for hiding in ["ProtectHome=", "PrivateTmp=", "PrivateDevices=", "TemporaryFileSystem=", "InaccessiblePaths=", "ReadOnlyPaths=", "DevicePolicy="] {
            XCTAssertFalse(text.split(separator: "\n").contains { $0.hasPrefix(hiding) }, "\(hiding) would bind QEMU's view of guest files too")
        }
        XCTAssertTrue(text.contains("\nProtectSystem=full\n"))
    }
}
