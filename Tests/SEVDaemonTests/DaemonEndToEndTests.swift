import Foundation
import Orchestration
import SEVTestSupport
import XCTest

@testable import SEVDaemon

/// sevhostd for real: the daemon binary on its Unix socket, sevhost-sim in front of the real
/// QEMU 10 as its QEMU, the `sevhost vm` CLI and the guest owner's own commands, as an
/// operator and an owner would use them.
final class DaemonEndToEndTests: XCTestCase {
    private var harness: DaemonHarness!

    override func setUpWithError() throws {
        harness = try DaemonHarness()
    }

    override func tearDown() {
        harness?.stop()
    }

    private func vm(_ arguments: String...) throws -> ProcessResult {
        try harness.vm(arguments)
    }

    private func events(_ name: String) async throws -> [String] {
        try await harness.client.events(of: name).events.map { "\($0.kind) \($0.state?.rawValue ?? "-")" }
    }

    /// create → start (paused, measured) → measurement → the owner verifies → inject →
    /// running, with the owner's secret in the guest → stop.
    func testTheWholeFlowThroughTheCLI() async throws {
        try harness.startDaemon()
        let spec = try harness.writeSpec(name: "web")

        let created = try vm("create", spec)
        XCTAssertEqual(created.stderr, "")
        XCTAssertEqual(created.stdout, "created web (sev, policy 0x1)\n")
        XCTAssertEqual(created.status, 0)

        let started = try vm("start", "web")
        XCTAssertEqual(started.stdout, "web: awaiting-secret (paused, measured; fetch with: sevhost vm measurement web)\n", started.stderr)
        XCTAssertEqual(started.status, 0)
        let shown = try await harness.client.showVM("web")
        let pid = try XCTUnwrap(shown.pid)
        XCTAssertEqual(harness.guestPids("web"), [pid])

        let listed = try vm("list")
        XCTAssertEqual(listed.stdout, """
            NAME  STATE            TYPE  POLICY  PID
            web   awaiting-secret  sev   0x1     \(pid)

            """)

        let bundle = harness.path("bundle.json")
        XCTAssertEqual(try vm("measurement", "web", "--out", bundle).status, 0)
        let answer = try harness.ownerAnswer(bundle: bundle, secret: "correct horse battery staple")
        let injected = try vm("inject", "web", answer, "--bundle", bundle, "--gpa", DaemonHarness.secretGPA)
        XCTAssertEqual(injected.stderr, "")
        XCTAssertEqual(injected.stdout, "web: injected 80-byte secret; running\n")
        XCTAssertEqual(injected.status, 0)
        XCTAssertEqual(
            try harness.guestSecrets("web"),
            "/sys/kernel/security/secrets/coco/736869e5-84f0-4973-92ec-06879ce3da0b: 28 bytes: \"correct horse battery staple\"\n")
        let running = try await harness.client.showVM("web")
        XCTAssertEqual(running.state, .running)

        let stopped = try vm("stop", "web")
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        let stoppedVM = try await harness.client.showVM("web")
        XCTAssertEqual(stoppedVM.state, .stopped)
        XCTAssertEqual(harness.guestPids("web"), [])

        let history = try await events("web")
        XCTAssertEqual(history, [
            "state defined", "state starting", "action -", "state awaiting-secret",
            "qmp -", "state running", "action -", "qmp -", "state stopped",
        ])
        // The secret went to QEMU and was forgotten: not in the database, not in the daemon's log.
        let database = try Data(contentsOf: URL(fileURLWithPath: harness.stateDirectory + "/sevhostd.sqlite"))
        XCTAssertNil(database.range(of: Data("correct horse".utf8)))
        XCTAssertFalse(harness.daemonLog().contains("correct horse"))
        let payload = try XCTUnwrap(try String(contentsOfFile: answer, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("payload: ") })
        XCTAssertNil(database.range(of: Data(payload.dropFirst(9).utf8)))
    }

    /// Once the owner's secret is in, the guest runs: real QEMU boots Debian's OVMF, whose
    /// console (the spec's serial port on QEMU's stdout) is in `sevhost vm logs`, made safe for a
    /// terminal (OVMF clears the screen with escape sequences).
    func testTheGuestsConsoleIsInItsLogs() async throws {
        try harness.startDaemon()
        XCTAssertEqual(try vm("create", try harness.writeSpec(name: "console", serial: "stdio")).status, 0)
        XCTAssertEqual(try vm("start", "console").status, 0)
        let bundle = harness.path("console.json")
        XCTAssertEqual(try vm("measurement", "console", "--out", bundle).status, 0)
        let answer = try harness.ownerAnswer(bundle: bundle, secret: "console")
        XCTAssertEqual(try vm("inject", "console", answer, "--gpa", DaemonHarness.secretGPA).status, 0)
        // OVMF has no disk to boot and says so; under TCG that takes it some seconds.
        var logs = ""
        XCTAssertTrue(try harness.eventually(120) {
            logs = try vm("logs", "console", "--lines", "200").stdout
            return logs.contains("BdsDxe: ")
        }, logs)
        let line = try XCTUnwrap(logs.split(separator: "\n").first { $0.contains("BdsDxe: ") })
        XCTAssertTrue(line.contains(#"BdsDxe: failed to load Boot0001 "UEFI QEMU DVD-ROM QM00005 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0): Not Found"#), String(line))
        XCTAssertFalse(logs.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x0d }, "escape sequences reached the output")
        XCTAssertTrue(logs.contains("\\x1b[2J"), "the console's escape sequences are shown, not sent")
        XCTAssertEqual(try vm("stop", "console").status, 0)
    }

    /// `kill -9` of the daemon with one VM at the gate, one running and one defined; a new
    /// daemon finds each in its state with the same QEMU process, and the flow completes.
    func testAKilledDaemonFindsEveryVMAgain() async throws {
        try harness.startDaemon()
        for name in ["gate", "busy", "idle"] {
            XCTAssertEqual(try vm("create", try harness.writeSpec(name: name)).status, 0)
        }
        XCTAssertEqual(try vm("start", "gate").status, 0)
        XCTAssertEqual(try vm("start", "busy").status, 0)
        let busyBundle = harness.path("busy.json")
        XCTAssertEqual(try vm("measurement", "busy", "--out", busyBundle).status, 0)
        let busyAnswer = try harness.ownerAnswer(bundle: busyBundle, secret: "busy")
        XCTAssertEqual(try vm("inject", "busy", busyAnswer, "--gpa", DaemonHarness.secretGPA).status, 0)
        let before = try await harness.client.listVMs().vms
        let gatePid = try XCTUnwrap(harness.guestPids("gate").first)
        let busyPid = try XCTUnwrap(harness.guestPids("busy").first)

        harness.killDaemon()
        // The guests live on without their daemon.
        XCTAssertEqual(harness.guestPids("gate"), [gatePid])
        XCTAssertEqual(harness.guestPids("busy"), [busyPid])
        // The worst moment for "gate": the daemon died after starting QEMU but before recording
        // its pid, and before QEMU wrote its pid file. It is still found, by its QMP socket.
        try VMStore(path: harness.stateDirectory + "/sevhostd.sqlite").update("gate") { $0.pid = nil }
        XCTAssertEqual(unlink(harness.stateDirectory + "/vms/gate/qemu.pid"), 0)

        try harness.startDaemon()
        let after = try await harness.client.listVMs().vms
        XCTAssertEqual(after.map(\.name), ["busy", "gate", "idle"])
        XCTAssertEqual(after.map(\.state), [.running, .awaitingSecret, .defined])
        XCTAssertEqual(after.map(\.pid), [busyPid, gatePid, nil])
        XCTAssertEqual(after.map(\.measured), before.map(\.measured))
        // Nothing started twice.
        XCTAssertEqual(harness.guestPids(), [gatePid, busyPid].sorted())

        let bundle = harness.path("gate.json")
        XCTAssertEqual(try vm("measurement", "gate", "--out", bundle).status, 0)
        let answer = try harness.ownerAnswer(bundle: bundle, secret: "after the restart")
        let injected = try vm("inject", "gate", answer, "--bundle", bundle, "--gpa", DaemonHarness.secretGPA)
        XCTAssertEqual(injected.stdout, "gate: injected 64-byte secret; running\n", injected.stderr)
        XCTAssertTrue(try harness.guestSecrets("gate").hasSuffix("17 bytes: \"after the restart\"\n"))

        // A guest that dies while no daemon watches is reported, not restarted.
        harness.killDaemon()
        kill(busyPid, SIGKILL)
        XCTAssertTrue(harness.eventually { harness.guestPids("busy").isEmpty })
        try harness.startDaemon()
        let busy = try await harness.client.showVM("busy")
        XCTAssertEqual(busy.state, .failed)
        XCTAssertEqual(busy.reason?.hasPrefix("QEMU (pid \(busyPid)) exited while sevhostd was not running; last output: "), true, busy.reason ?? "")
        XCTAssertEqual(harness.guestPids("busy"), [])
        XCTAssertEqual(try vm("stop", "gate").status, 0)
    }

    /// QEMU's SHUTDOWN event says how a guest ended, also for a QEMU found again after a
    /// restart, which is not the daemon's child and has no exit status to read: a guest that
    /// powers itself off is stopped, not failed, and a signal from someone on the host is a stop
    /// made outside sevhostd, not a guest shutdown.
    func testQEMUsShutdownEventSaysHowAGuestEnded() async throws {
        try harness.startDaemon()
        for name in ["adopted", "signalled"] {
            XCTAssertEqual(try vm("create", try harness.writeSpec(name: name)).status, 0)
            XCTAssertEqual(try vm("start", name).status, 0)
        }
        let bundle = harness.path("adopted.json")
        XCTAssertEqual(try vm("measurement", "adopted", "--out", bundle).status, 0)
        let answer = try harness.ownerAnswer(bundle: bundle, secret: "adopted")
        XCTAssertEqual(try vm("inject", "adopted", answer, "--gpa", DaemonHarness.secretGPA).status, 0)

        // The daemon's own child, terminated from the host: QEMU announces it and exits 0.
        let signalledPid = try XCTUnwrap(harness.guestPids("signalled").first)
        kill(signalledPid, SIGTERM)
        XCTAssertTrue(try harness.eventually { try harness.vm(["show", "signalled", "--json"]).stdout.contains("\"stopped\"") })
        let signalled = try await harness.client.events(of: "signalled").events
        XCTAssertEqual(signalled.suffix(2).map(\.message), [
            #"SHUTDOWN {"guest":false,"reason":"host-signal"}"#,
            "stopped outside sevhostd (QEMU's SHUTDOWN: host-signal; QEMU exited with status 0)",
        ])

        // A guest found again after a restart powers itself off (the simulator's SIGUSR1).
        let adoptedPid = try XCTUnwrap(harness.guestPids("adopted").first)
        harness.killDaemon()
        try harness.startDaemon()
        XCTAssertTrue(harness.eventually { harness.daemonLog().contains("QMP connected") })
        let found = try await harness.client.showVM("adopted")
        XCTAssertEqual(found.state, .running)
        kill(adoptedPid, SIGUSR1)
        XCTAssertTrue(try harness.eventually { try harness.vm(["show", "adopted", "--json"]).stdout.contains("\"stopped\"") })
        let adopted = try await harness.client.showVM("adopted")
        XCTAssertNil(adopted.reason)
        XCTAssertNil(adopted.pid)
        let history = try await harness.client.events(of: "adopted").events
        XCTAssertEqual(history.suffix(2).map(\.message), [
            #"SHUTDOWN {"guest":true,"reason":"guest-shutdown"}"#,
            "the guest shut down (QEMU exited)",
        ])
        XCTAssertEqual(harness.guestPids(), [])
    }

    /// A QEMU that dies of a signal leaves the VM failed, with how it died and its last lines.
    func testACrashedQEMUFailsTheVMWithItsLastOutput() async throws {
        try harness.startDaemon()
        XCTAssertEqual(try vm("create", try harness.writeSpec(name: "fragile")).status, 0)
        XCTAssertEqual(try vm("start", "fragile").status, 0)
        let pid = try XCTUnwrap(harness.guestPids("fragile").first)
        kill(pid, SIGSEGV)
        XCTAssertTrue(try harness.eventually { try harness.vm(["show", "fragile", "--json"]).stdout.contains("\"failed\"") })
        let shown = try await harness.client.showVM("fragile")
        // The last lines of the log, the real QEMU's warnings about this host's CPU before them.
        let reason = try XCTUnwrap(shown.reason)
        XCTAssertTrue(reason.hasPrefix("QEMU was killed by signal 11 (SIGSEGV); last output: "), reason)
        XCTAssertTrue(reason.hasSuffix("sevhost-sim: SEV guest (legacy VM type) measured, state launch-secret; QMP on \(harness.path("run/fragile.qmp"))"), reason)
        XCTAssertNil(shown.pid)
        XCTAssertEqual(try vm("start", "fragile").status, 0, "a failed VM can be started again")
        XCTAssertEqual(try vm("destroy", "fragile").status, 1, "a VM with a process is only destroyed with --force")
        XCTAssertEqual(try vm("destroy", "fragile", "--force").status, 0)
        XCTAssertEqual(harness.guestPids(), [])
    }

    /// A "QEMU" that refuses the command line: its own words become the failure's reason.
    func testAQEMUThatRefusesToStartFailsTheVMWithItsMessage() async throws {
        let fake = harness.path("qemu-refuses")
        try """
            #!/bin/sh
            echo "qemu-system-x86_64: -object sev-guest,id=sev0: sev_launch_start: LAUNCH_START ret=1 fw_error=16 'Invalid key'" >&2
            exit 1

            """.write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        try harness.startDaemon(qemu: fake)
        XCTAssertEqual(try vm("create", try harness.writeSpec(name: "doomed")).status, 0)
        let started = try vm("start", "doomed")
        XCTAssertEqual(started.status, 1)
        XCTAssertEqual(started.stdout, "")
        XCTAssertEqual(
            started.stderr,
            "sevhost: vm start: doomed: failed: QEMU exited with status 1 while starting; last output: qemu-system-x86_64: -object sev-guest,id=sev0: sev_launch_start: LAUNCH_START ret=1 fw_error=16 'Invalid key'\n")
    }

    func testSpecsAreCheckedWhenCreated() async throws {
        try harness.startDaemon()
        let spec = try harness.writeSpec(name: "twice")
        XCTAssertEqual(try vm("create", spec).status, 0)
        let again = try vm("create", spec)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "sevhost: vm create: a VM named 'twice' exists\n")

        let es = try harness.writeSpec(name: "bad-policy", policy: "0x5")
        let refused = try vm("create", es)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(
            refused.stderr, "sevhost: vm create: \(es): confidential.policy: policy 0x5 sets the ES bit (0x4); use type sev-es\n")
        let dots = try harness.writeSpec(name: "..")
        let parent = try vm("create", dots)
        XCTAssertEqual(parent.status, 1)
        XCTAssertEqual(
            parent.stderr,
            "sevhost: vm create: \(dots): name: '..' cannot start with '.': it names the VM's directory and QMP socket\n")
        let kept = try await harness.client.listVMs().vms
        XCTAssertEqual(kept.map(\.name), ["twice"])

        XCTAssertEqual(try vm("start", "nothing").stderr, "sevhost: vm start: no VM named 'nothing'\n")
    }

    /// 64 launches at once all reach the gate, and the daemon's memory stays small.
    func testSixtyFourConcurrentLaunchesAllReachTheGate() async throws {
        try harness.startDaemon()
        let client = harness.client
        let names = (1...64).map { String(format: "vm%02d", $0) }
        for name in names {
            let text = try String(contentsOfFile: try harness.writeSpec(name: name), encoding: .utf8)
            _ = try await client.createVM(CreateVMRequest(spec: text.replacingOccurrences(of: "owner_", with: harness.path("owner_")), file: name))
        }
        let states = try await withThrowingTaskGroup(of: (String, VMState).self) { group in
            for name in names {
                group.addTask { (name, try await client.startVM(name, wait: true).state) }
            }
            var states: [String: VMState] = [:]
            for try await (name, state) in group { states[name] = state }
            return states
        }
        XCTAssertEqual(states.count, 64)
        XCTAssertEqual(Set(states.values), [.awaitingSecret], "\(states.filter { $0.value != .awaitingSecret })")
        XCTAssertEqual(harness.guestPids().count, 64)
        let peak = try XCTUnwrap(residentPeak(of: try XCTUnwrap(harness.daemon?.processIdentifier)))
        XCTAssertLessThan(peak, 200 << 20, "sevhostd's peak RSS with 64 VMs")
        let metrics = try await client.metrics()
        XCTAssertTrue(metrics.contains("sevhostd_vms{state=\"awaiting-secret\"} 64"), metrics)
        XCTAssertTrue(metrics.contains("sevhostd_launches_total 64"), metrics)
        for name in names { try await client.destroyVM(name, force: true) }
        XCTAssertEqual(harness.guestPids(), [])
    }

    private func residentPeak(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return nil }
        return kilobytes * 1024
    }
}
