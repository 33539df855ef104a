import Foundation
import Orchestration
import SEVTestSupport
import XCTest

/// A sevhostd running on a temporary socket and state directory with sevhost-sim as its
/// QEMU (the real QEMU 10 behind it, under TCG where this host's KVM cannot run OVMF), a guest
/// owner's session for the simulated platform, and the CLI pointed at it.
/// Everything lives under one short /tmp directory (socket paths are at most 107 bytes), and
/// every process started from it (the daemon, the simulated guests) is killed at the end.
final class DaemonHarness: @unchecked Sendable {
    static let ovmf = "/usr/share/OVMF/OVMF_CODE.fd"
    /// Debian's OVMF publishes no secret area, so the secret goes to an explicit address (as with QEMU).
    static let secretGPA = "0x80c000"

    let directory: String
    var socket: String { directory + "/d.sock" }
    var stateDirectory: String { directory + "/state" }
    var simState: String { directory + "/sim" }
    private(set) var daemon: Process?

    static var sevhostd: URL { Peers.productsDirectory.appendingPathComponent("sevhostd") }
    static var simulator: URL { Peers.productsDirectory.appendingPathComponent("sevhost-sim") }

    init(file: StaticString = #filePath, line: UInt = #line) throws {
        for binary in [Self.sevhostd, Self.simulator, Peers.sevhost] where !FileManager.default.isExecutableFile(atPath: binary.path) {
            try Peers.missing("\(binary.lastPathComponent) at \(binary.path) (swift build)", file: file, line: line)
        }
        _ = try Peers.qemu10(file: file, line: line)
        guard FileManager.default.isReadableFile(atPath: Self.ovmf) else {
            try Peers.missing("OVMF at \(Self.ovmf) (Debian package ovmf)", file: file, line: line)
        }
        var template = Array("/tmp/sevhostd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        chmod(directory, 0o755)
        try expect(Subprocess.run(Self.simulator, ["--sim-state", simState, "--print-pdh", path("pdh.cert")]), "sevhost-sim --print-pdh")
        try expect(Subprocess.sevhost(["session", path("pdh.cert"), "0x1", "--out", directory, "--name", "owner"]), "sevhost session")
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// An SEV guest paused for pre-attestation, from Debian's OVMF, with the owner's session;
    /// `serial` is the spec's serial port (`stdio`: the guest's console in QEMU's log).
    @discardableResult
    func writeSpec(name: String, policy: String = "0x1", serial: String? = nil) throws -> String {
        let text = """
            name: \(name)
            vcpus: 2
            cpu: EPYC-v4
            memory: 1G
            firmware:
              path: \(Self.ovmf)
            \(serial.map { "serial: \($0)\n" } ?? "")confidential:
              type: sev
              policy: "\(policy)"
              pre-attestation: true
              dh-cert-file: owner_godh.b64
              session-file: owner_session.b64

            """
        let file = path("\(name).yaml")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Starts sevhostd and waits for its socket. `qemu` defaults to sevhost-sim.
    func startDaemon(qemu: String? = nil, extra: [String] = [], environment extraEnvironment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = Self.sevhostd
        process.arguments = [
            "--socket", socket, "--state-dir", stateDirectory, "--run-dir", path("run"),
            "--qemu", qemu ?? Self.simulator.path, "--cbitpos", "51", "--reduced-phys-bits", "1",
            "--stop-timeout", "5",
        ] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["SEVHOST_SIM_STATE"] = simState
        // Relative: each simulated guest writes its secret area into its own VM directory.
        environment["SEVHOST_SIM_SECRET_OUT"] = "guest-secrets.bin"
        // The guest's side of each SNP guest, there too: the daemon holds the QMP monitor.
        environment["SEVHOST_SIM_GUEST_SOCKET"] = "guest.sock"
        // A simulated guest killed by a signal should die at once, as QEMU does, not linger
        // in Swift's crash backtracer.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        _ = FileManager.default.createFile(atPath: path("daemon.log"), contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path("daemon.log")))
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        daemon = process
        // Ready once it says so: the socket answers before its owner, group and mode are set,
        // and the daemon logs "listening" after setting them.
        let deadline = Date().addingTimeInterval(30)
        while !UnixSocket.canConnect(socket) || !daemonLog().contains("[SEVDaemon] listening\n") {
            guard process.isRunning, Date() < deadline else {
                throw DaemonHarnessError("sevhostd did not start: \(daemonLog())")
            }
            usleep(20_000)
        }
    }

    /// Waits (at most `seconds`) for the daemon to end by itself, as it does at a crash point;
    /// true when it did.
    func waitForDaemonExit(_ seconds: Double = 30) -> Bool {
        guard let daemon else { return true }
        let deadline = Date().addingTimeInterval(seconds)
        while daemon.isRunning, Date() < deadline { usleep(10_000) }
        guard !daemon.isRunning else { return false }
        self.daemon = nil
        return true
    }

    /// SIGKILL, as a crash or `kill -9` would: no clean-up runs.
    func killDaemon() {
        guard let daemon, daemon.isRunning else { return }
        kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
        self.daemon = nil
    }

    func daemonLog() -> String {
        (try? String(contentsOfFile: path("daemon.log"), encoding: .utf8)) ?? ""
    }

    /// `sevhost vm ARGS` against this daemon.
    func vm(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["vm"] + arguments, environment: ["SEVHOST_DAEMON": socket])
    }

    var client: DaemonClient { DaemonClient(socketPath: socket) }

    /// The guest owner's side: checks the measurement in `bundle` against the launch digest of
    /// Debian's OVMF with the TIK, then answers with `secret` wrapped for that launch.
    func ownerAnswer(bundle: String, secret: String) throws -> String {
        try GuestOwnerAnswer.make(
            bundle: bundle, tek: path("owner_tek.bin"), tik: path("owner_tik.bin"), firmware: Self.ovmf, secret: secret, directory: directory)
    }

    /// What the simulated guest finds in its secret area (`sevhost-sim --show-secrets`).
    func guestSecrets(_ name: String) throws -> String {
        let result = try Subprocess.run(Self.simulator, ["--show-secrets", stateDirectory + "/vms/\(name)/guest-secrets.bin"])
        try expect(result, "sevhost-sim --show-secrets")
        return result.stdout
    }

    /// Pids of the simulated guests started for this harness (their argv names its directory).
    func guestPids(_ name: String? = nil) -> [Int32] {
        let needle = name.map { path("run/\($0).qmp") } ?? path("run/")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return false }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return words.first?.hasSuffix("sevhost-sim") == true && words.contains { $0.contains(needle) }
        }.sorted()
    }

    /// Waits until `condition` holds, for at most `seconds`.
    func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        try SEVTestSupport.eventually(seconds, condition)
    }

    func stop() {
        killDaemon()
        for pid in guestPids() { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func expect(_ result: ProcessResult, _ what: String) throws {
        guard result.status == 0 else { throw DaemonHarnessError("\(what) exited \(result.status): \(result.stderr)") }
    }
}

struct DaemonHarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
