import Foundation
import SEVTestSupport
import XCTest

/// Who may talk to sevhostd: the socket's mode keeps other users from connecting at all,
/// and the SO_PEERCRED check refuses them even when the mode lets them connect.
final class DaemonAccessTests: XCTestCase {
    private var harness: DaemonHarness!

    override func setUpWithError() throws {
        guard getuid() == 0 else {
            throw XCTSkip("needs root to run a client as another user (setpriv)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            try Peers.missing("setpriv (Debian package util-linux)")
        }
        harness = try DaemonHarness()
    }

    override func tearDown() {
        harness?.stop()
    }

    /// `sevhost vm list` as uid 65534 with only `groups` (setpriv drops everything else).
    private func listAs(gid: UInt32, groups: [UInt32] = []) throws -> ProcessResult {
        var arguments = ["--reuid=65534", "--regid=\(gid)"]
        arguments += groups.isEmpty ? ["--clear-groups"] : ["--groups=" + groups.map(String.init).joined(separator: ",")]
        return try Subprocess.run(
            URL(fileURLWithPath: "/usr/bin/setpriv"), arguments + [Peers.sevhost.path, "vm", "list"],
            environment: ["SEVHOST_DAEMON": harness.socket, "NO_COLOR": "1"])
    }

    func testAnotherUserCannotConnectToTheDefaultSocket() throws {
        try harness.startDaemon()
        // The socket takes connections a moment before the daemon chmods it from its creation
        // mode (0700 under the daemon's umask, closed to others) to --socket-mode: wait for it.
        var mode = 0
        for _ in 0..<100 {
            mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: harness.socket)[.posixPermissions] as? Int)
            if mode != 0o700 { break }
            usleep(50_000)
        }
        XCTAssertEqual(mode, 0o660)
        let result = try listAs(gid: 65534)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderr,
            "sevhost: vm list: cannot reach sevhostd at \(harness.socket): Permission denied (is it running? --daemon or SEVHOST_DAEMON names another socket)\n")
    }

    func testThePeerCheckRefusesAUserOutsideTheGroupEvenWhenTheModeLetsThemIn() throws {
        try harness.startDaemon(extra: ["--socket-mode", "0666", "--socket-group", "4242"])
        let refused = try listAs(gid: 65534)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(
            refused.stderr,
            "sevhost: vm list: uid 65534 (gid 65534) may not use sevhostd: allowed are uid 0 and members of gid 4242\n")
        XCTAssertTrue(harness.daemonLog().contains("refused a peer"))

        // The same user as a member of the socket's group, primary or supplementary, is let in.
        let primary = try listAs(gid: 4242)
        XCTAssertEqual(primary.status, 0, primary.stderr)
        XCTAssertEqual(primary.stdout, "NAME  STATE  TYPE  POLICY  PID\n")
        let supplementary = try listAs(gid: 65534, groups: [4242])
        XCTAssertEqual(supplementary.status, 0, supplementary.stderr)
    }

    func testTheSocketTakesTheConfiguredGroupAndMode() throws {
        try harness.startDaemon(extra: ["--socket-mode", "0640", "--socket-group", "4242"])
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.socket)
        XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o640)
        XCTAssertEqual((attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value, 4242)
    }
}
