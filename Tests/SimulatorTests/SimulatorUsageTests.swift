import Foundation
import SEVTestSupport
import XCTest

/// `sevhost-sim --help` and `--version` answer as QEMU's do, instead of being read as an
/// option that misses its value.
final class SimulatorUsageTests: XCTestCase {
    func testHelpAndVersion() throws {
        let help = try Subprocess.run(SimulatorHarness.simulator, ["--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertEqual(help.stderr, "")
        XCTAssertTrue(help.stdout.hasPrefix("Usage: sevhost-sim [QEMU OPTIONS] [--sim-state DIR]"), help.stdout)
        XCTAssertTrue(help.stdout.contains("legacy-vm-type (on, off or auto; unset is auto) decides the VM type"), help.stdout)
        let version = try Subprocess.run(SimulatorHarness.simulator, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, "QEMU emulator version 9.1.0 (sevhost-sim)\n")
        let bare = try Subprocess.run(SimulatorHarness.simulator, ["--sim-state"])
        XCTAssertEqual(bare.status, 1)
        XCTAssertEqual(bare.stderr, "sevhost-sim: --sim-state: missing its value\n")
    }
}
