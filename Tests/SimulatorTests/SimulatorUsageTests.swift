import Foundation
import SEVTestSupport
import XCTest

/// `sevhost-sim --help` prints its own usage; `--version` is the QEMU it fronts answering, as
/// every command line with nothing to front is; an option without its value is refused as QEMU
/// refuses one.
final class SimulatorUsageTests: XCTestCase {
    func testHelpAndVersion() throws {
        let qemu = try Peers.qemu10()
        let help = try Subprocess.run(SimulatorHarness.simulator, ["--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertEqual(help.stderr, "")
        XCTAssertTrue(help.stdout.hasPrefix("Usage: sevhost-sim [QEMU OPTIONS] [--sim-state DIR]"), help.stdout)
        XCTAssertTrue(help.stdout.contains("legacy-vm-type (on, off\nor auto; unset is auto) decides as QEMU with KVM would"), help.stdout)
        let version = try Subprocess.run(SimulatorHarness.simulator, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, try Subprocess.run(qemu, ["--version"]).stdout)
        XCTAssertTrue(version.stdout.hasPrefix("QEMU emulator version 10."), version.stdout)
        let bare = try Subprocess.run(SimulatorHarness.simulator, ["--sim-state"])
        XCTAssertEqual(bare.status, 1)
        XCTAssertEqual(bare.stderr, "sevhost-sim: --sim-state: requires an argument\n")
    }
}
