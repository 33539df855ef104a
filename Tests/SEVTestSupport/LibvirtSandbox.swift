import Foundation
import XCTest

/// A private libvirtd 11.3 whose default emulator is sevhost-sim in front of the real QEMU 10,
/// started by `scripts/libvirt-sandbox` (which says exactly how: a private mount namespace with
/// its own /etc/libvirt, /run/libvirt, /var/lib/libvirt, the kvm_amd SEV parameters and a
/// /dev/sev). Reachable through two URI forms: the Unix socket (`qemu:///system?socket=…`) and
/// TCP on 127.0.0.1 (`qemu+tcp://127.0.0.1:PORT/system`, no authentication, for tests only),
/// which stands in for a remote host.
public final class LibvirtSandbox: @unchecked Sendable {
    public let directory: URL
    public let port: Int

    public var socketURI: String { "qemu:///system?socket=\(directory.path)/run/libvirt-sock" }
    public var tcpURI: String { "qemu+tcp://127.0.0.1:\(port)/system" }
    /// The platform state of the simulated AMD-SP every domain of this sandbox runs on.
    public var simulatorState: String { directory.appendingPathComponent("sim-state").path }
    /// Where sevhost-sim writes domain NAME's decrypted secret area.
    public func secretArea(domain: String) -> String { directory.appendingPathComponent("secrets/\(domain).bin").path }

    static var script: URL { PackageRoot.url.appendingPathComponent("scripts/libvirt-sandbox") }
    public static var simulator: URL { Peers.productsDirectory.appendingPathComponent("sevhost-sim") }

    /// Starts one; skips (fails under CI) when not root or a peer is missing.
    public init(file: StaticString = #filePath, line: UInt = #line) throws {
        guard getuid() == 0 else { try Peers.missing("root, for libvirtd's system mode in a private mount namespace", file: file, line: line) }
        _ = try Peers.executable("/usr/sbin/libvirtd", file: file, line: line)
        _ = try Peers.executable("/usr/bin/virsh", file: file, line: line)
        _ = try Peers.qemu10(file: file, line: line)
        guard FileManager.default.isExecutableFile(atPath: Self.simulator.path) else {
            try Peers.missing("sevhost-sim at \(Self.simulator.path)", file: file, line: line)
        }
        var template = Array("/tmp/sevhost-libvirt-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = URL(fileURLWithPath: String(cString: made))
        port = try Self.freePort()
        let result = try Self.runScript(["start", directory.path, Self.simulator.path, String(port)])
        guard result.status == 0 else {
            throw LibvirtSandboxError(message: "scripts/libvirt-sandbox start exited \(result.status): \(result.output)")
        }
    }

    /// `virsh -c URI ARGS…` (the socket URI unless told).
    public func virsh(_ arguments: [String], uri: String? = nil) throws -> ProcessResult {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/virsh"), ["-c", uri ?? socketURI] + arguments)
    }

    /// Destroys every domain, ends libvirtd and removes the directory.
    public func stop() {
        _ = try? Self.runScript(["stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `scripts/libvirt-sandbox` with posix_spawn and waitpid, its output in a file.
    /// Not Foundation's `Process`: it lost the script's exit once libvirtd (which the script
    /// starts and leaves running) was around, and waited forever.
    static func runScript(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("libvirt-sandbox-\(UUID().uuidString).log").path
        defer { unlink(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([script.path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script.path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }

    /// A TCP port nobody listens on now, from the kernel.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct LibvirtSandboxError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
