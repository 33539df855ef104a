import Foundation
import SEVTestSupport
import XCTest

/// sevhostd with `--connect`: its VMs run as domains of the sandboxed libvirtd 11.3
/// (`LibvirtSandbox`: sevhost-sim in front of the real QEMU 10 as libvirt's emulator), reached
/// through both URI forms at once as two hosts. The whole `sevhost vm` flow runs through the
/// daemon; virsh is the independent witness of what libvirt holds; the daemon is killed with
/// SIGKILL and must find its VMs again from libvirt's own state; a domain destroyed behind its
/// back must be seen through libvirt's event.
final class DaemonLibvirtTests: XCTestCase {
    override class func tearDown() {
        SharedSandbox.stop()
        super.tearDown()
    }

    func testDaemonRunsItsVMsAsLibvirtDomainsAndFindsThemAgainAfterKill9() throws {
        let sandbox = try SharedSandbox.get()
        let owner = try LibvirtGuestOwner(sandbox: sandbox)
        defer { owner.stop() }
        let daemon = try LibvirtDaemon(sandbox: sandbox, directory: owner.path("d"))
        defer { daemon.kill() }
        try daemon.start()

        // Placement: the first host that fits (the socket URI), or the one the request names.
        let specA = try owner.writeSpec("a.yaml", name: "lvd-a")
        let specB = try owner.writeSpec("b.yaml", name: "lvd-b")
        owner.domains += ["lvd-a", "lvd-b"]
        let createdA = try daemon.vm(["create", specA])
        XCTAssertEqual(createdA.stderr, "")
        XCTAssertEqual(createdA.stdout, "created lvd-a (sev, policy 0x1) on \(sandbox.socketURI)\n")
        let createdB = try daemon.vm(["create", specB, "--host", sandbox.tcpURI])
        XCTAssertEqual(createdB.stdout, "created lvd-b (sev, policy 0x1) on \(sandbox.tcpURI)\n", createdB.stderr)
        let elsewhere = try daemon.vm(["create", try owner.writeSpec("c.yaml", name: "lvd-c"), "--host", "qemu+tcp://192.0.2.1/system"])
        XCTAssertEqual(elsewhere.status, 1)
        XCTAssertEqual(
            elsewhere.stderr,
            "sevhost: vm create: \(owner.path("c.yaml")): host: 'qemu+tcp://192.0.2.1/system' is none of sevhostd's libvirt hosts (\(sandbox.socketURI), \(sandbox.tcpURI))\n")

        // The demo's flow: started paused and measured through libvirt, the owner's answer
        // injected through the daemon, the guest running; libvirt agrees at each step.
        let started = try daemon.vm(["start", "lvd-a"])
        XCTAssertEqual(started.stdout, "lvd-a: awaiting-secret (paused, measured; fetch with: sevhost vm measurement lvd-a)\n", started.stderr)
        XCTAssertEqual(try owner.domainState("lvd-a"), "paused")
        let secret = try owner.writeSecret()
        try inject(daemon, owner, "lvd-a", table: secret.table)
        XCTAssertEqual(try owner.domainState("lvd-a"), "running")
        XCTAssertEqual(try daemon.vm(["start", "lvd-b"]).stdout, "lvd-b: awaiting-secret (paused, measured; fetch with: sevhost vm measurement lvd-b)\n")
        XCTAssertEqual(try owner.domainState("lvd-b"), "paused")
        let table = """
            NAME   STATE            TYPE  POLICY  PID  HOST
            lvd-a  running          sev   0x1     -    \(sandbox.socketURI)
            lvd-b  awaiting-secret  sev   0x1     -    \(sandbox.tcpURI)

            """
        XCTAssertEqual(try daemon.vm(["list"]).stdout, table)

        // kill -9, start again on the same state: both found again from libvirt, as they were.
        daemon.kill()
        try daemon.start()
        XCTAssertEqual(try daemon.vm(["list"]).stdout, table)
        XCTAssertEqual(try daemon.state("lvd-a"), "running")
        XCTAssertEqual(try daemon.state("lvd-b"), "awaiting-secret")
        let events = try daemon.vm(["events", "lvd-b"]).stdout
        XCTAssertTrue(events.contains(" lvd-b action found again after a restart: libvirt domain on \(sandbox.tcpURI) paused, state awaiting-secret\n"), events)
        // The gate still holds after the restart: the answer goes in through the new connection.
        try inject(daemon, owner, "lvd-b", table: secret.table)
        XCTAssertEqual(try owner.domainState("lvd-b"), "running")

        // Destroyed behind the daemon's back: libvirt's `stopped` event says so at once.
        XCTAssertEqual(try sandbox.virsh(["destroy", "lvd-b"]).status, 0)
        XCTAssertTrue(try eventually { try daemon.state("lvd-b") == "stopped" })
        let shown = try daemon.vm(["show", "lvd-b"]).stdout
        XCTAssertTrue(shown.contains("\nreason: the domain was destroyed outside sevhostd (libvirt: stopped, destroyed)\n"), shown)
        XCTAssertTrue(shown.contains("\nhost: \(sandbox.tcpURI)\n"), shown)
        XCTAssertTrue(try daemon.vm(["events", "lvd-b"]).stdout.contains(" lvd-b libvirt STOPPED {\"detail\":\"destroyed\"}\n"))

        // Destroyed while the daemon is down: found shut off at the next start, and failed.
        daemon.kill()
        XCTAssertEqual(try sandbox.virsh(["destroy", "lvd-a"]).status, 0)
        try daemon.start()
        XCTAssertEqual(try daemon.state("lvd-a"), "failed")
        XCTAssertTrue(
            try daemon.vm(["show", "lvd-a"]).stdout.contains(
                "\nreason: the libvirt domain on \(sandbox.socketURI) is shut off: it ended while sevhostd was not running\n"))

        // Started again and resumed through libvirt without a secret: the event says so.
        XCTAssertEqual(try daemon.vm(["start", "lvd-a"]).stdout, "lvd-a: awaiting-secret (paused, measured; fetch with: sevhost vm measurement lvd-a)\n")
        XCTAssertEqual(try sandbox.virsh(["resume", "lvd-a"]).status, 0)
        XCTAssertTrue(try eventually { try daemon.state("lvd-a") == "running" })
        let resumed = try daemon.vm(["events", "lvd-a"]).stdout
        XCTAssertTrue(resumed.contains(" lvd-a libvirt RESUMED {\"detail\":\"unpaused\"}\n"), resumed)
        XCTAssertTrue(resumed.hasSuffix(" lvd-a state resumed through libvirt without a secret from sevhostd\n"), resumed)

        // Stopped through the daemon, destroyed: libvirt keeps nothing of it.
        XCTAssertEqual(try daemon.vm(["stop", "lvd-a"]).status, 0)
        XCTAssertTrue(try eventually { try daemon.state("lvd-a") == "stopped" })
        XCTAssertEqual(try owner.domainState("lvd-a"), "shut off")
        XCTAssertEqual(try daemon.vm(["destroy", "lvd-a"]).status, 0)
        let gone = try sandbox.virsh(["domstate", "lvd-a"])
        XCTAssertEqual(gone.status, 1)
        XCTAssertEqual(gone.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "error: failed to get domain 'lvd-a'")
    }

    /// A host that does not answer at start-up stops the daemon there, with libvirt's reason:
    /// its VMs could not be told from lost ones.
    func testADaemonWhoseHostDoesNotAnswerDoesNotStart() throws {
        var template = Array("/tmp/sevhostd-lv-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try Subprocess.run(LibvirtDaemon.sevhostd, [
            "--socket", directory + "/d.sock", "--state-dir", directory + "/state", "--run-dir", directory + "/run",
            "--connect", "qemu+tcp://127.0.0.1:1/system", "--log-level", "error",
        ])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderr, "sevhostd: --connect qemu+tcp://127.0.0.1:1/system: unable to connect to server at '127.0.0.1:1': Connection refused\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/d.sock"))
    }

    /// measurement → the owner's check and answer → inject; the guest finds exactly `table`.
    private func inject(_ daemon: LibvirtDaemon, _ owner: LibvirtGuestOwner, _ name: String, table: [UInt8]) throws {
        let bundle = owner.path("\(name).bundle.json")
        let measured = try daemon.vm(["measurement", name, "--out", bundle])
        XCTAssertEqual(measured.status, 0, measured.stderr)
        let answer = try GuestOwnerAnswer.make(
            bundle: bundle, tek: owner.path("vm_tek.bin"), tik: owner.path("vm_tik.bin"), firmware: LibvirtGuestOwner.ovmfPath,
            secret: "correct horse battery staple", directory: owner.directory.path)
        let injected = try daemon.vm(["inject", name, answer, "--bundle", bundle, "--gpa", LibvirtGuestOwner.secretGPA])
        XCTAssertEqual(injected.stderr, "")
        XCTAssertEqual(injected.stdout, "\(name): injected \(table.count)-byte secret; running\n")
        XCTAssertEqual([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: daemon.sandbox.secretArea(domain: name)))), table)
        XCTAssertEqual(try daemon.state(name), "running")
    }
}

/// A sevhostd on a temporary socket and state directory whose VMs run on the sandbox's libvirtd,
/// through both of its URIs (two `--connect` hosts).
final class LibvirtDaemon {
    let sandbox: LibvirtSandbox
    let directory: String
    private var process: Process?

    var socket: String { directory + "/d.sock" }
    static var sevhostd: URL { Peers.productsDirectory.appendingPathComponent("sevhostd") }

    init(sandbox: LibvirtSandbox, directory: String) throws {
        self.sandbox = sandbox
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Starts sevhostd and waits until it listens (after recovery, which runs first).
    func start() throws {
        let process = Process()
        process.executableURL = Self.sevhostd
        process.arguments = [
            "--socket", socket, "--state-dir", directory + "/state", "--run-dir", directory + "/run",
            "--connect", sandbox.socketURI, "--connect", sandbox.tcpURI,
            "--templates", PackageRoot.url.appendingPathComponent("templates").path,
        ]
        let logPath = directory + "/daemon.log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try output.seekToEnd()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let listening = log().components(separatedBy: "[SEVDaemon] listening\n").count
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(60)
        while log().components(separatedBy: "[SEVDaemon] listening\n").count == listening {
            guard process.isRunning, Date() < deadline else { throw GuestOwnerAnswerError("sevhostd did not start: \(log())") }
            usleep(20_000)
        }
    }

    /// SIGKILL, as `kill -9`: nothing of the daemon's runs.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func log() -> String { (try? String(contentsOfFile: directory + "/daemon.log", encoding: .utf8)) ?? "" }

    func vm(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["vm"] + arguments, environment: ["SEVHOST_DAEMON": socket])
    }

    /// The VM's state as the daemon's API says it.
    func state(_ name: String) throws -> String {
        let json = try vm(["show", name, "--json"]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return object?["state"] as? String ?? "?"
    }
}
