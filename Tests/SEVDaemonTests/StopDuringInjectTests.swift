import Foundation
import Logging
import Orchestration
import XCTest

@testable import SEVDaemon

extension VMSupervisor {
    /// Puts `name` where `inject` holds it while it talks to QEMU: a live process, and busy.
    fileprivate func holdAsInjecting(_ name: String, pid: Int32) {
        live[name] = LiveVM(pid: pid, isChild: true, channel: nil)
        busy.insert(name)
    }
}

/// A stop that arrives while a secret is being injected is refused (the guest owner would not
/// know whether the secret went in), unless forced.
final class StopDuringInjectTests: XCTestCase {
    func testAStopDuringAnInjectionIsRefusedUnlessForced() async throws {
        var template = Array("/tmp/sevhostd-stop-XXXXXX".utf8CString)
        let directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try VMStore(path: directory + "/sevhostd.sqlite")
        let guest = Process()
        guest.executableURL = URL(fileURLWithPath: "/bin/sleep")
        guest.arguments = ["60"]
        try guest.run()
        defer { if guest.isRunning { kill(guest.processIdentifier, SIGKILL) } }
        XCTAssertTrue(try store.insert(VMRecord(
            name: "g", spec: "{}", file: "g.yaml", type: "sev", policy: "0x1", preAttestation: true, state: .awaitingSecret,
            reason: nil, pid: guest.processIdentifier, qmp: directory + "/g.qmp", binary: nil, bundle: "{}", stopRequested: false,
            dhCert: nil, session: nil, created: "2026-11-22T00:00:00.000Z", updated: "2026-11-22T00:00:00.000Z")))
        let configuration = DaemonConfiguration(
            socketPath: directory + "/api.sock", stateDirectory: directory, runDirectory: directory, qemu: "/bin/false",
            host: nil, version: "test")
        let supervisor = VMSupervisor(configuration: configuration, store: store, metrics: DaemonMetrics(), logger: Logger(label: "test"))
        await supervisor.holdAsInjecting("g", pid: guest.processIdentifier)

        do {
            _ = try await supervisor.stop("g", force: false)
            XCTFail("a stop during an injection was accepted")
        } catch {
            XCTAssertEqual(error, .wrongState("g: an injection is in progress; stop again when it is done, or stop with force"))
        }
        XCTAssertTrue(guest.isRunning)
        XCTAssertEqual(try store.record("g")?.stopRequested, false)
        XCTAssertEqual(try store.events(vm: "g", after: 0).events.map(\.message), ["defined from g.yaml"])

        let info = try await supervisor.stop("g", force: true)
        XCTAssertEqual(info.state, .awaitingSecret)  // `stopped` comes when the exit is seen
        guest.waitUntilExit()
        XCTAssertEqual(guest.terminationReason, .uncaughtSignal)
        XCTAssertEqual(guest.terminationStatus, SIGKILL)
        XCTAssertEqual(try store.record("g")?.stopRequested, true)
        XCTAssertEqual(try store.events(vm: "g", after: 0).events.map(\.message), ["defined from g.yaml", "stop requested: SIGKILL"])
    }
}
