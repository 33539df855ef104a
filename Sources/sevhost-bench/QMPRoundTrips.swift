import ArgumentParser
import Foundation
import QMP

/// `sevhost-bench qmp SOCKET`: sequential `query-status` round trips, the figure BENCHMARKS.md
/// compares with Python's qemu.qmp: once isolated to the client (how a scripted flow runs: no
/// thread hop per command), once from an ordinary task (two hops per command). With
/// `--concurrency K`, K tasks share the count, so up to K requests are in flight (QMP matches
/// them by id).
struct QMPRoundTrips: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qmp", abstract: "QMP query-status round trips per second against a running QEMU.")

    @Argument(help: "Path of QEMU's QMP Unix socket.")
    var socket: String

    @Option(help: "Round trips per line.")
    var count = 20000

    @Option(help: "Requests in flight (1: the two sequential lines).")
    var concurrency = 1

    @Option(help: "Seconds to wait for the connection and each reply.")
    var timeout: Double = 10

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count: expected a positive number") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency: expected 1...64") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout: expected a positive number of seconds") }
    }

    func run() async throws {
        let client = try await QMPClient.connect(path: socket, timeout: .seconds(timeout))
        do {
            try await measureRoundTrips(client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    private func measureRoundTrips(_ client: QMPClient) async throws {
        let count = self.count
        if concurrency > 1 {
            let tasks = concurrency
            let perTask = count / tasks
            let seconds = try await measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            for _ in 0..<perTask { _ = try await client.queryStatus() }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            print(Self.line("\(tasks) in flight", perTask * tasks, seconds))
            return
        }
        let isolated = try await measure {
            try await client.run { (client: isolated QMPClient) async throws(QMPError) in
                for _ in 0..<count { _ = try await client.queryStatus() }
            }
        }
        print(Self.line("sequential, isolated to the client", count, isolated))
        let fromTask = try await measure {
            for _ in 0..<count { _ = try await client.queryStatus() }
        }
        print(Self.line("sequential, from another task", count, fromTask))
    }

    private static func line(_ mode: String, _ count: Int, _ seconds: Double) -> String {
        "sevhost query-status (\(mode)): \(count) round trips in \(String(format: "%.3f", seconds)) s = \(String(format: "%.0f", Double(count) / seconds)) per second"
    }
}
