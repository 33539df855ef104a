import QEMUFront
import XCTest

/// The guest's side of the simulated AMD-SP: one more monitor, which QEMU never sees named.
final class GuestSocketPlanTests: XCTestCase {
    func testTheGuestSocketIsOneMoreFrontedMonitor() throws {
        var plan = try FrontPlan(
            arguments: [
                "-machine", "q35,confidential-guest-support=snp0", "-object", "sev-snp-guest,id=snp0,cbitpos=51,policy=0x30000",
                "-qmp", "unix:/run/vm.qmp,server=on,wait=off", "--guest-socket", "guest.sock",
            ],
            privateDirectory: "/p") { _ in false }
        XCTAssertEqual(plan.simulator.guestSocket, "guest.sock")
        plan.addGuestSocket("guest.sock", privateDirectory: "/p")
        XCTAssertEqual(plan.qemuArguments, [
            "-machine", "q35", "-object", "sev-snp-guest,id=snp0,cbitpos=51,policy=0x30000",
            "-qmp", "unix:/p/qmp0.sock,server=on,wait=off", "-qmp", "unix:/p/control.sock,server=on,wait=off",
            "-qmp", "unix:/p/guest.sock,server=on,wait=off",
        ])
        XCTAssertEqual(plan.monitors, [
            FrontPlan.Monitor(client: .path("/run/vm.qmp"), privateSocket: "/p/qmp0.sock"),
            FrontPlan.Monitor(client: .path("guest.sock"), privateSocket: "/p/guest.sock"),
        ])
    }
}
