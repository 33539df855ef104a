import Foundation
import QMP
import SEVTestSupport
import XCTest

/// The checks every real QEMU goes through; `QEMU72Tests` and `QEMU10Tests` run them against
/// their own binary. The expected SEV errors are what these QEMUs answer under TCG, with no
/// `sev-guest` object: recorded by running them, and asserted verbatim.
class RealQEMUTestCase: XCTestCase {
    private var processes: [QEMUProcess] = []

    override func tearDown() {
        for process in processes { process.stop() }
        processes = []
        super.tearDown()
    }

    func start(_ binary: URL) throws -> QEMUProcess {
        let qemu = try QEMUProcess(binary: binary)
        processes.append(qemu)
        return qemu
    }

    func connect(_ qemu: QEMUProcess) async throws -> QMPClient {
        try await QMPClient.connect(path: qemu.socketPath, timeout: .seconds(20))
    }

    func checkGreetingAndNegotiation(_ binary: URL) async throws {
        let expected = try QEMUProcess.version(of: binary)
        let qemu = try start(binary)
        let client = try await QMPClient.connect(path: qemu.socketPath, timeout: .seconds(20), negotiate: false)
        XCTAssertEqual(client.greeting.major, expected.major)
        XCTAssertEqual(client.greeting.minor, expected.minor)
        XCTAssertEqual(client.greeting.micro, expected.micro)
        XCTAssertEqual(client.greeting.package, expected.package)
        XCTAssertEqual(client.greeting.capabilities, ["oob"])
        // Before negotiation QEMU refuses everything but qmp_capabilities.
        do {
            _ = try await client.queryStatus()
            XCTFail("query-status answered before qmp_capabilities")
        } catch {
            guard case .command(let refusal) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(refusal.errorClass, "CommandNotFound")
            XCTAssertEqual(refusal.message, "Expecting capabilities negotiation with 'qmp_capabilities'")
        }
        try await client.negotiate()
        let status = try await client.queryStatus()
        XCTAssertEqual(status, QMPStatus(status: .prelaunch, running: false))
        await client.close()
    }

    func checkStopContAndEvents(_ binary: URL) async throws {
        let qemu = try start(binary)
        let client = try await connect(qemu)
        var stream = client.events.makeAsyncIterator()
        let initial = try await client.queryStatus()
        XCTAssertEqual(initial, QMPStatus(status: .prelaunch, running: false))

        try await client.cont()
        let resume = try await client.nextEvent(named: ["RESUME"], timeout: .seconds(20))
        XCTAssertEqual(resume.name, "RESUME")
        XCTAssertEqual(resume.data, [:])
        XCTAssertGreaterThan(resume.seconds, 1_600_000_000)  // a real host timestamp
        let running = try await client.queryStatus()
        XCTAssertEqual(running, QMPStatus(status: .running, running: true))

        try await client.stop()
        let stop = try await client.nextEvent(named: ["STOP"], timeout: .seconds(20))
        XCTAssertEqual(stop.name, "STOP")
        let paused = try await client.queryStatus()
        XCTAssertEqual(paused, QMPStatus(status: .paused, running: false))

        // The stream saw the same events, in order.
        let first = await stream.next()
        let second = await stream.next()
        XCTAssertEqual(first, resume)
        XCTAssertEqual(second, stop)
        await client.close()
    }

    func checkSEVErrors(_ binary: URL, expectedGuestType: SEVGuestType?) async throws {
        let qemu = try start(binary)
        let client = try await connect(qemu)

        let sev = try await client.querySEV()
        XCTAssertEqual(
            sev,
            SEVInfo(enabled: false, apiMajor: 0, apiMinor: 0, buildID: 0, state: .uninit, guestType: expectedGuestType, guest: .sev(policy: 0, handle: 0)))

        func expectRefusal(_ command: String, _ message: String, line: UInt = #line, _ body: () async throws -> Void) async {
            do {
                try await body()
                XCTFail("\(command) succeeded without SEV", line: line)
            } catch {
                XCTAssertEqual(error as? QMPError, .command(QMPCommandError(command: command, errorClass: "GenericError", message: message)), line: line)
            }
        }
        await expectRefusal("query-sev-launch-measure", "SEV launch measurement is not available") {
            _ = try await client.querySEVLaunchMeasure()
        }
        await expectRefusal("query-sev-capabilities", "KVM not enabled") {
            _ = try await client.querySEVCapabilities()
        }
        await expectRefusal("query-sev-attestation-report", "SEV is not enabled") {
            _ = try await client.querySEVAttestationReport(mnonce: Array(0..<16))
        }
        await expectRefusal("sev-inject-launch-secret", "SEV not enabled for guest") {
            try await client.injectLaunchSecret(packetHeader: [UInt8](repeating: 1, count: 52), secret: [UInt8](repeating: 2, count: 64))
        }
        await expectRefusal("sev-inject-launch-secret", "SEV not enabled for guest") {
            try await client.injectLaunchSecret(
                packetHeader: [UInt8](repeating: 1, count: 52), secret: [UInt8](repeating: 2, count: 64), guestPhysicalAddress: 0x80_0000)
        }
        // A missing argument is QEMU's own validation, through the raw command.
        await expectRefusal("query-sev-attestation-report", "Parameter 'mnonce' is missing") {
            _ = try await client.execute("query-sev-attestation-report")
        }
        // The connection is still good after every refusal.
        let status = try await client.queryStatus()
        XCTAssertEqual(status, QMPStatus(status: .prelaunch, running: false))
        await client.close()
    }

    func checkRawAndUnknownCommand(_ binary: URL) async throws {
        let qemu = try start(binary)
        let client = try await connect(qemu)
        let name = try await client.execute("query-name")
        XCTAssertEqual(name, .object([:]))
        let kvm = try await client.execute("query-kvm")
        XCTAssertEqual(kvm["enabled"], false)
        do {
            _ = try await client.execute("no-such-command", arguments: ["x": 1])
            XCTFail("unknown command succeeded")
        } catch {
            XCTAssertEqual(
                error,
                .command(QMPCommandError(command: "no-such-command", errorClass: "CommandNotFound", message: "The command no-such-command has not been found")))
        }
        do {
            _ = try await client.execute("query-status", arguments: ["x": 1])
            XCTFail("query-status accepted an unknown argument")
        } catch {
            XCTAssertEqual(error, .command(QMPCommandError(command: "query-status", errorClass: "GenericError", message: "Parameter 'x' is unexpected")))
        }
        await client.close()
    }

    func checkQuit(_ binary: URL) async throws {
        let qemu = try start(binary)
        let client = try await connect(qemu)
        try await client.quit()
        let shutdown = try await client.nextEvent(named: ["SHUTDOWN"], timeout: .seconds(20))
        XCTAssertEqual(shutdown.data, ["guest": false, "reason": "host-qmp-quit"])
        XCTAssertEqual(qemu.waitForExit(), 0)
        // After QEMU has gone, requests fail with the disconnect (noticed before the request
        // was sent, or by the request's own write), not with a timeout.
        do {
            _ = try await client.queryStatus(timeout: .seconds(20))
            XCTFail("query-status answered after quit")
        } catch {
            guard case .disconnected = error else { return XCTFail("expected a disconnect, got \(error)") }
        }
        await client.close()
    }
}

final class QEMU72Tests: RealQEMUTestCase {
    func testGreetingAndNegotiation() async throws { try await checkGreetingAndNegotiation(try Peers.qemu72()) }
    func testStopContAndEvents() async throws { try await checkStopContAndEvents(try Peers.qemu72()) }
    /// QEMU 7.2 answers query-sev with the flat, pre-9.1 object (no `sev-type`).
    func testSEVCommandsRealErrors() async throws { try await checkSEVErrors(try Peers.qemu72(), expectedGuestType: nil) }
    func testRawAndUnknownCommand() async throws { try await checkRawAndUnknownCommand(try Peers.qemu72()) }
    func testQuitEmitsShutdownAndExits() async throws { try await checkQuit(try Peers.qemu72()) }
}

final class QEMU10Tests: RealQEMUTestCase {
    func testGreetingAndNegotiation() async throws { try await checkGreetingAndNegotiation(try Peers.qemu10()) }
    func testStopContAndEvents() async throws { try await checkStopContAndEvents(try Peers.qemu10()) }
    /// QEMU 10 answers query-sev with the `sev-type` union (`sev` when no SNP guest).
    func testSEVCommandsRealErrors() async throws { try await checkSEVErrors(try Peers.qemu10(), expectedGuestType: .sev) }
    func testRawAndUnknownCommand() async throws { try await checkRawAndUnknownCommand(try Peers.qemu10()) }
    func testQuitEmitsShutdownAndExits() async throws { try await checkQuit(try Peers.qemu10()) }
}
