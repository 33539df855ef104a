import QEMUFront
import XCTest

/// What the real QEMU is given, and what the front keeps for itself.
final class FrontPlanTests: XCTestCase {
    private let specArgv = [
        "-name", "guest=vm", "-machine", "q35,confidential-guest-support=sev0", "-accel", "kvm", "-cpu", "EPYC-v4",
        "-smp", "2", "-m", "1024M", "-object", "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x1",
        "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on", "-display", "none",
        "-qmp", "unix:/run/vm,,1.qmp,server=on,wait=off", "-S", "-pidfile", "/run/vm.pid", "--sim-state", "/state",
    ]

    func testTheSEVPartsAreTakenOutAndTheMonitorIsTheFronts() throws {
        let plan = try FrontPlan(arguments: specArgv, privateDirectory: "/p") { _ in false }
        XCTAssertEqual(plan.qemuArguments, [
            "-name", "guest=vm", "-machine", "q35", "-accel", "kvm", "-cpu", "EPYC-v4",
            "-smp", "2", "-m", "1024M", "-object", "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x1",
            "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on", "-display", "none",
            "-qmp", "unix:/p/qmp0.sock,server=on,wait=off", "-S", "-qmp", "unix:/p/control.sock,server=on,wait=off",
        ])
        XCTAssertEqual(plan.monitors, [FrontPlan.Monitor(client: .path("/run/vm,1.qmp"), privateSocket: "/p/qmp0.sock")])
        XCTAssertEqual(plan.confidentialObject, FrontPlan.ConfidentialObject(id: "sev0", qomType: "sev-guest"))
        XCTAssertEqual(plan.pidFile, "/run/vm.pid")
        XCTAssertEqual(plan.simulator.stateDirectory, "/state")
        XCTAssertEqual(plan.acceleratorLocation, "-accel kvm")
        XCTAssertTrue(plan.startsPaused)
    }

    func testKVMBecomesTCGWhereTheHostCannotRunIt() throws {
        var asked: [String?] = []
        let plan = try FrontPlan(arguments: specArgv + ["--sim-accel", "tcg"], privateDirectory: "/p") { override in
            asked.append(override)
            return true
        }
        XCTAssertEqual(asked, ["tcg"])
        XCTAssertEqual(plan.qemuArguments[4...5], ["-accel", "tcg"])
        XCTAssertEqual(plan.requestedAccelerator, "kvm", "QEMU's messages still name what the argv asked for")
        let machine = try FrontPlan(
            arguments: ["-M", "q35,accel=kvm:tcg,confidential-guest-support=s", "-enable-kvm", "-object", #"{"qom-type":"sev-guest","id":"s"}"#],
            privateDirectory: "/p") { _ in true }
        XCTAssertEqual(Array(machine.qemuArguments.prefix(5)), ["-M", "q35", "-accel", "tcg", "-object"])
        XCTAssertEqual(machine.confidentialObject?.qomType, "sev-guest")
        XCTAssertNil(machine.acceleratorLocation)
    }

    /// libvirt's form: a chardev (here a listening descriptor) used by a control monitor.
    func testAChardevMonitorIsFrontedToo() throws {
        let plan = try FrontPlan(
            arguments: ["-chardev", "socket,id=charmonitor,fd=23,server=on,wait=off", "-mon", "chardev=charmonitor,id=monitor,mode=control"],
            privateDirectory: "/p") { _ in false }
        XCTAssertEqual(plan.monitors, [FrontPlan.Monitor(client: .descriptor(23), privateSocket: "/p/qmp0.sock")])
        XCTAssertEqual(plan.qemuArguments[1], "socket,id=charmonitor,server=on,wait=off,path=/p/qmp0.sock")
        XCTAssertFalse(plan.isFronting == false)
    }

    func testWhatTheFrontCannotServeIsRefusedWithTheOption() {
        func refusal(_ arguments: [String]) -> String? {
            do {
                _ = try FrontPlan(arguments: arguments, privateDirectory: "/p") { _ in false }
                return nil
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(refusal(["-qmp", "tcp:localhost:4444,server=on"]), "-qmp tcp:localhost:4444,server=on: sevhost-sim fronts QMP on Unix sockets (unix:PATH,server=on,wait=off)")
        XCTAssertEqual(refusal(["-qmp-pretty", "unix:/q,server=on"]), "-qmp-pretty unix:/q,server=on: sevhost-sim fronts compact QMP only; use -qmp")
        XCTAssertEqual(refusal(["-qmp", "unix:/q,server=on", "-daemonize"]), "-daemonize: sevhost-sim runs in the foreground; start it in the background instead")
        XCTAssertEqual(refusal(["-m"]), "-m: requires an argument")
        XCTAssertNil(refusal(["-version"]))
    }
}
