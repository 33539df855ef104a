import Foundation
import SEVTestSupport
import XCTest

/// A real QEMU started for a test: TCG, no devices, paused (`-S`), QMP on a socket in a
/// fresh temp dir. `stop()` kills it if it still runs and removes the directory.
final class QEMUProcess: @unchecked Sendable {
    let binary: URL
    let directory: URL
    let socketPath: String
    let process: Process

    init(binary: URL) throws {
        self.binary = binary
        var template = Array("/tmp/sevhost-qmp-qemu-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = URL(fileURLWithPath: String(cString: made))
        socketPath = directory.appendingPathComponent("qmp.sock").path
        process = Process()
        process.executableURL = binary
        process.arguments = [
            "-machine", "q35", "-accel", "tcg", "-display", "none", "-nodefaults", "-S",
            "-qmp", "unix:\(socketPath),server=on,wait=off",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // QEMU creates the socket once it listens; a loaded machine can take seconds.
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw QEMUStartError(binary: binary.path)
            }
            usleep(20_000)
        }
    }

    /// Waits up to `seconds` for QEMU to exit on its own; its exit status, or nil.
    func waitForExit(seconds: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            if waitForExit(seconds: 5) == nil {
                kill(process.processIdentifier, SIGKILL)
                _ = waitForExit(seconds: 5)
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `major.minor.micro` and the package string from `BINARY --version`, e.g.
    /// "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2...)".
    static func version(of binary: URL) throws -> (major: Int, minor: Int, micro: Int, package: String) {
        let output = try Subprocess.run(binary, ["--version"]).stdout
        let firstLine = output.split(separator: "\n").first.map(String.init) ?? ""
        let prefix = "QEMU emulator version "
        guard firstLine.hasPrefix(prefix) else { throw QEMUStartError(binary: "\(binary.path) --version: \(firstLine)") }
        let rest = firstLine.dropFirst(prefix.count)
        let numbers = rest.prefix { $0 != " " }.split(separator: ".").compactMap { Int($0) }
        guard numbers.count == 3 else { throw QEMUStartError(binary: "\(binary.path) --version: \(firstLine)") }
        var package = ""
        if let open = rest.firstIndex(of: "("), let close = rest.lastIndex(of: ")") {
            package = String(rest[rest.index(after: open)..<close])
        }
        return (numbers[0], numbers[1], numbers[2], package)
    }
}

struct QEMUStartError: Error, CustomStringConvertible {
    var binary: String
    var description: String { "QEMU did not start or did not create its QMP socket: \(binary)" }
}
