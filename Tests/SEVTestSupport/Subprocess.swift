import Foundation

/// The outcome of running a program to completion.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutBytes: [UInt8]
}

/// Runs programs for tests: the built `sevhost`, and the real peers it is compared with.
public enum Subprocess {
    /// Runs `executable` with `arguments` and returns its exit status and output.
    /// `environment` entries are added to (or override) the test's environment.
    @discardableResult
    public static func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String] = [:],
        stdin: Data? = nil,
        currentDirectory: URL? = nil
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self),
            stdoutBytes: [UInt8](outData))
    }

    /// Runs the built `sevhost` with `commandLine` (shell words) on a pseudo-terminal, through
    /// util-linux's `script`, for what sevhost writes only to a terminal (colour, progress).
    /// Standard output and standard error arrive together, as a terminal shows them, with the
    /// terminal's `\r\n` line ends. `environment` sets variables, or with nil unsets them.
    public static func sevhostOnTerminal(_ commandLine: String, environment: [String: String?]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = try Peers.executable("/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", "\(Peers.sevhost.path) \(commandLine)", "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "", stdoutBytes: [UInt8](data))
    }

    /// Runs the built `sevhost` with `arguments`.
    @discardableResult
    public static func sevhost(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> ProcessResult {
        try run(Peers.sevhost, arguments, environment: environment.merging(["NO_COLOR": "1"]) { a, _ in a }, stdin: stdin)
    }
}
