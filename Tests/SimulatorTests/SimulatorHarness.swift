import Foundation
import Orchestration
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// A scratch directory with a guest owner's session for the simulated platform, and helpers
/// to launch sevhost-sim from a VM spec the way `sevhost launch --print qemu` would. sevhost-sim
/// runs the real QEMU 10 behind it (under TCG on hosts whose KVM cannot run OVMF).
final class SimulatorHarness: @unchecked Sendable {
    static let ovmfPath = "/usr/share/OVMF/OVMF_CODE.fd"
    /// Debian's OVMF publishes no secret area (its footer entry's GPA is zero), so, as with
    /// QEMU, the secret needs an explicit guest physical address.
    static let secretGPA = "0x80c000"

    let directory: URL
    let stateDirectory: String
    var processes: [Process] = []

    /// Creates the directory and the platform state, and builds a session for `policy`.
    init(policy: UInt32 = 0x1, file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isReadableFile(atPath: Self.ovmfPath) else {
            try Peers.missing("OVMF at \(Self.ovmfPath) (Debian package ovmf)", file: file, line: line)
        }
        guard FileManager.default.isExecutableFile(atPath: Self.simulator.path) else {
            try Peers.missing("sevhost-sim at \(Self.simulator.path) (swift build --product sevhost-sim)", file: file, line: line)
        }
        _ = try Peers.qemu10(file: file, line: line)
        var template = Array("/tmp/sevhost-sim-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = URL(fileURLWithPath: String(cString: made))
        stateDirectory = directory.appendingPathComponent("state").path
        let pdh = path("pdh.cert")
        try expectSuccess(Subprocess.run(Self.simulator, ["--sim-state", stateDirectory, "--print-pdh", pdh]), "sevhost-sim --print-pdh")
        try makeSession(name: "vm", policy: policy)
    }

    static var simulator: URL { Peers.productsDirectory.appendingPathComponent("sevhost-sim") }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// `sevhost session PDH POLICY --name NAME`: NAME_godh.b64, NAME_session.b64, NAME_tek.bin, NAME_tik.bin.
    func makeSession(name: String, policy: UInt32) throws {
        try expectSuccess(
            Subprocess.sevhost(["session", path("pdh.cert"), "0x" + String(policy, radix: 16), "--out", directory.path, "--name", name]),
            "sevhost session")
    }

    /// Writes a VM spec for an SEV guest paused for pre-attestation.
    func writeSpec(
        _ name: String, firmware: String = ovmfPath, type: String = "sev", policy: String = "0x1", session: String = "vm",
        socket: String = "qmp.sock", vcpus: Int = 2, kernel: (path: String, append: String)? = nil,
        initrd: String? = nil, vmType: String? = nil
    ) throws -> String {
        let initrdLine = initrd.map { "  initrd: \($0)\n" } ?? ""
        let kernelLines = kernel.map { "kernel:\n  path: \($0.path)\n\(initrdLine)  append: \"\($0.append)\"\n" } ?? ""
        let vmTypeLine = vmType.map { "\n  vm-type: \($0)" } ?? ""
        let text = """
            name: sim-guest
            vcpus: \(vcpus)
            cpu: EPYC-v4
            memory: 1G
            firmware:
              path: \(firmware)
            qmp: \(path(socket))
            \(kernelLines)confidential:
              type: \(type)
              policy: "\(policy)"
              pre-attestation: true
              dh-cert-file: \(path(session + "_godh.b64"))
              session-file: \(path(session + "_session.b64"))
              kernel-hashes: \(kernel != nil)\(vmTypeLine)

            """
        let specPath = path(name)
        try text.write(toFile: specPath, atomically: true, encoding: .utf8)
        return specPath
    }

    /// The QEMU argv for `spec`, built by the launch resolver exactly as `sevhost launch --print qemu`.
    static func qemuArguments(spec: String) throws -> [String] {
        let resolver = LaunchResolver(host: HostFacts(sev: HostSEVParameters(cbitPosition: 51, reducedPhysBits: 1)))
        return try resolver.resolve(SpecDocument.load(path: spec)).qemuArguments()
    }

    /// A file QEMU loads as a Linux kernel, `size` bytes that depend on `seed` with a bzImage
    /// setup header (boot protocol 2.15) patched in: with SEV kernel hashes, only its SHA-256
    /// matters, but QEMU refuses to start with a file it cannot load.
    static func kernelImage(size: Int, seed: Int) -> [UInt8] {
        precondition(size >= 2048, "a setup sector and a kernel sector at least")
        var bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ seed) }
        bytes[0x1f1] = 1                                                     // setup_sects
        bytes.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        bytes.replaceSubrange(0x206..<0x208, with: [0x0f, 0x02])              // version 2.15
        bytes[0x211] = 0x01                                                  // LOADED_HIGH
        bytes.replaceSubrange(0x22c..<0x230, with: [0xff, 0xff, 0xff, 0x7f])  // initrd_addr_max
        bytes.replaceSubrange(0x238..<0x23c, with: [0x00, 0x08, 0x00, 0x00])  // cmdline_size
        return bytes
    }

    /// Writes `kernelImage(size:seed:)` to `name` in the directory.
    func writeKernel(_ name: String, seed: Int, size: Int = 8192) throws -> String {
        try Data(Self.kernelImage(size: size, seed: seed)).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Starts sevhost-sim with the spec's QEMU argv and waits for its QMP socket (which exists
    /// before QEMU is ready; a client waits for QEMU's greeting, which comes once the simulated
    /// AMD-SP has measured the launch).
    @discardableResult
    func launch(spec: String, socket: String = "qmp.sock", secretOut: String = "secret.bin", extra: [String] = []) throws -> Process {
        try launchRaw(try Self.qemuArguments(spec: spec) + ["--secret-out", path(secretOut)] + extra, socket: socket)
    }

    /// Starts sevhost-sim with `arguments` (and this platform's state) and waits for `socket`.
    @discardableResult
    func launchRaw(_ arguments: [String], socket: String) throws -> Process {
        let process = Process()
        process.executableURL = Self.simulator
        process.arguments = arguments + ["--sim-state", stateDirectory]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        processes.append(process)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: path(socket)) {
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw SimulatorStartError(message: "sevhost-sim did not create its QMP socket: \(text)")
            }
            usleep(20_000)
        }
        return process
    }

    /// `query-status` through sevhost's QMP client.
    func status(socket: String = "qmp.sock") async throws -> QMPStatus {
        let client = try await QMPClient.connect(path: path(socket), timeout: .seconds(10))
        do {
            let status = try await client.queryStatus()
            await client.close()
            return status
        } catch {
            await client.close()
            throw error
        }
    }

    func attest(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["attest"] + arguments)
    }

    func stop() {
        stopProcesses()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Ends every simulator started so far, keeping the directory.
    func stopProcesses() {
        for process in processes where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        processes.removeAll()
    }

    private func expectSuccess(_ result: ProcessResult, _ what: String) throws {
        guard result.status == 0 else {
            throw SimulatorStartError(message: "\(what) exited \(result.status): \(result.stderr)")
        }
    }
}

struct SimulatorStartError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
