import Foundation
import XCTest

/// A KDS-compatible HTTP server on loopback (`Tests/Fixtures/kds_server.py`), serving files of
/// the test-data pool at KDS paths, with optional 429 throttling per route.
public final class LocalKDSServer: @unchecked Sendable {
    public struct Route: Sendable {
        public var file: URL
        public var throttle: Int
        public var retryAfter: String
        public init(file: URL, throttle: Int = 0, retryAfter: String = "1") {
            self.file = file
            self.throttle = throttle
            self.retryAfter = retryAfter
        }
    }

    public let port: Int
    private let process: Process
    private let routesFile: URL
    private let logFile: URL

    /// `http://127.0.0.1:<port>`
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public init(routes: [String: Route], file: StaticString = #filePath, line: UInt = #line) throws {
        let python = try Peers.venvTool("python", file: file, line: line)
        let script = PackageRoot.url.appendingPathComponent("Tests/Fixtures/kds_server.py")
        var json: [String: [String: Any]] = [:]
        for (path, route) in routes {
            json[path] = ["file": route.file.path, "throttle": route.throttle, "retry_after": route.retryAfter]
        }
        routesFile = FileManager.default.temporaryDirectory.appendingPathComponent("kds-routes-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: json).write(to: routesFile)
        process = Process()
        process.executableURL = python
        logFile = routesFile.deletingPathExtension().appendingPathExtension("log")
        FileManager.default.createFile(atPath: logFile.path, contents: Data())
        process.arguments = [script.path, routesFile.path, logFile.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // First line: "PORT <n>".
        var buffer = Data()
        let handle = out.fileHandleForReading
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw XCTSkip("local KDS server did not start: \(line)")
        }
        self.port = port
    }

    /// Paths (with query) the server has been asked for, in order.
    public func requests() throws -> [String] {
        String(decoding: try Data(contentsOf: logFile), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    public func stop() {
        if process.isRunning {
            // SIGKILL, not SIGTERM: a server started from a Swift concurrency thread inherits
            // that thread's blocked signals, SIGTERM among them, and would never go.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: routesFile)
        try? FileManager.default.removeItem(at: logFile)
    }

    deinit { stop() }
}
