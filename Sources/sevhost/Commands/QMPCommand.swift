import ArgumentParser
import Foundation
import QMP
import SEVKit

/// `sevhost qmp SOCKET ACTION`: one QMP command against a running QEMU, for scripts that today
/// pipe JSON through `socat` and `jq`.
struct QMPSubcommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qmp",
        abstract: "Send one QMP command to QEMU's monitor socket.",
        discussion: """
            ACTION is one of: status, sev, measure, capabilities, attestation-report, inject, \
            cont, stop, quit, raw.

              raw COMMAND [ARGUMENTS-JSON]    any command, e.g. raw query-cpus-fast
              inject --packet-header B64 --secret B64 [--gpa ADDR]
                                              B64 may be @FILE (the file's raw bytes)
              attestation-report [--mnonce B64]   a fresh random mnonce by default

            --json prints QEMU's `return` value as JSON with sorted keys. A refusal is one \
            line on stderr, COMMAND: CLASS: DESCRIPTION, with exit status 1.
            """
    )

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case status, sev, measure, capabilities, cont, stop, quit, raw, inject
        case attestationReport = "attestation-report"
        /// Hidden: sequential `query-status` round trips, for benchmarks/qmp.sh.
        case bench

        static var allValueStrings: [String] { allCases.filter { $0 != .bench }.map(\.rawValue) }
    }

    @Argument(help: "Path of QEMU's QMP Unix socket (-qmp unix:PATH,server=on).")
    var socket: String

    @Argument(help: "What to do (see below).")
    var action: Action

    @Argument(help: "For raw: the command name and optional arguments as a JSON object.")
    var rest: [String] = []

    @Flag(help: "Print QEMU's reply as JSON.")
    var json = false

    @Option(help: "Seconds to wait for the connection, the greeting and each reply.")
    var timeout: Double = 10

    @Option(help: "inject: the packet header, base64 (or @FILE with its raw bytes).")
    var packetHeader: String?

    @Option(help: "inject: the encrypted secret, base64 (or @FILE with its raw bytes).")
    var secret: String?

    @Option(help: "inject: guest physical address of the secret area (decimal or 0x hex).")
    var gpa: String?

    @Option(help: "attestation-report: the 16-byte nonce, base64 (default: random).")
    var mnonce: String?

    @Option(help: .hidden)
    var count: Int = 20000

    @Option(help: .hidden)
    var concurrency: Int = 1

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout: expected a positive number of seconds") }
        if action != .raw, !rest.isEmpty {
            throw ValidationError("unexpected argument '\(rest[0])' after \(action.rawValue)")
        }
        if action == .raw, !(1...2).contains(rest.count) {
            throw ValidationError("raw: expected COMMAND [ARGUMENTS-JSON]")
        }
        if action == .inject, packetHeader == nil || secret == nil {
            throw ValidationError("inject: --packet-header and --secret are required")
        }
        guard count > 0 else { throw ValidationError("--count: expected a positive number") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency: expected 1...64") }
    }

    func run() async throws {
        do {
            let request = try makeRequest()
            let client = try await QMPClient.connect(path: socket, timeout: .milliseconds(Int64(timeout * 1000)))
            do {
                if action == .bench {
                    try await bench(client)
                } else {
                    let reply = try await request.send(client)
                    print(json ? reply.jsonText() : try request.render(reply))
                }
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        } catch let error as QMPError {
            FileHandle.standardError.write(Data("sevhost: qmp: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as QMPArgumentError {
            FileHandle.standardError.write(Data("sevhost: qmp: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Sequential round trips, the figure BENCHMARKS.md compares with Python's qemu.qmp: once
    /// isolated to the client (how a scripted flow runs: no thread hop per command), once
    /// from an ordinary task (two hops per command). With `--concurrency K`, K tasks share the
    /// count, so up to K requests are in flight (QMP matches them by id).
    private func bench(_ client: QMPClient) async throws {
        let count = self.count
        if concurrency > 1 {
            let tasks = concurrency
            let perTask = count / tasks
            let seconds = try await Self.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            for _ in 0..<perTask { _ = try await client.queryStatus() }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            print(Self.benchLine("\(tasks) in flight", perTask * tasks, seconds))
            return
        }
        let isolated = try await Self.measure {
            try await client.run { (client: isolated QMPClient) async throws(QMPError) in
                for _ in 0..<count { _ = try await client.queryStatus() }
            }
        }
        print(Self.benchLine("sequential, isolated to the client", count, isolated))
        let fromTask = try await Self.measure {
            for _ in 0..<count { _ = try await client.queryStatus() }
        }
        print(Self.benchLine("sequential, from another task", count, fromTask))
    }

    private static func measure(_ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private static func benchLine(_ mode: String, _ count: Int, _ seconds: Double) -> String {
        "sevhost query-status (\(mode)): \(count) round trips in \(String(format: "%.3f", seconds)) s = \(String(format: "%.0f", Double(count) / seconds)) per second"
    }

    // MARK: Requests

    /// One command to send and how to print its reply.
    private struct Request {
        var name: String
        var arguments: QMPValue.Object?
        var render: (QMPValue) throws(QMPError) -> String

        func send(_ client: QMPClient) async throws(QMPError) -> QMPValue {
            try await client.execute(name, arguments: arguments)
        }

        func render(_ reply: QMPValue) throws(QMPError) -> String { try render(reply) }
    }

    private func makeRequest() throws(QMPArgumentError) -> Request {
        switch action {
        case .status, .bench:
            return typed(QueryStatus()) { "status: \($0.status)\nrunning: \($0.running)" }
        case .sev:
            return typed(QuerySEV(), render: Self.render)
        case .measure:
            return typed(QuerySEVLaunchMeasure()) { "measurement: \(Hex.encode($0.bytes))" }
        case .capabilities:
            return typed(QuerySEVCapabilities(), render: Self.render)
        case .attestationReport:
            let nonce: [UInt8]
            if let mnonce {
                nonce = try Self.bytes(mnonce, option: "--mnonce")
            } else {
                var generator = SystemRandomNumberGenerator()
                nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            }
            return typed(QuerySEVAttestationReport(mnonce: nonce)) { report in
                "mnonce: \(Hex.encode(nonce))\nreport: \(Hex.encode(report.bytes))"
            }
        case .inject:
            let command = SEVInjectLaunchSecret(
                packetHeader: try Self.bytes(packetHeader ?? "", option: "--packet-header"),
                secret: try Self.bytes(secret ?? "", option: "--secret"),
                guestPhysicalAddress: try gpa.map(Self.address))
            return typed(command) { _ in "injected \(command.secret.count)-byte secret" }
        case .cont:
            return typed(Cont()) { _ in "resumed" }
        case .stop:
            return typed(Stop()) { _ in "paused" }
        case .quit:
            return typed(Quit()) { _ in "quit" }
        case .raw:
            var arguments: QMPValue.Object?
            if rest.count == 2 {
                guard let parsed = try? QMPValue(json: Array(rest[1].utf8)), let object = parsed.objectValue else {
                    throw QMPArgumentError("raw: ARGUMENTS-JSON: expected a JSON object, got: \(rest[1].prefix(60))")
                }
                arguments = object
            }
            return Request(name: rest[0], arguments: arguments) { reply in reply.jsonText() }
        }
    }

    private func typed<Command: QMPCommand>(_ command: Command, render: @escaping (Command.Reply) -> String) -> Request {
        Request(name: Command.name, arguments: command.arguments) { reply throws(QMPError) in
            render(try Command.decodeReply(reply))
        }
    }

    private static func render(_ info: SEVInfo) -> String {
        var lines = [
            "enabled: \(info.enabled)",
            "api-major: \(info.apiMajor)",
            "api-minor: \(info.apiMinor)",
            "build-id: \(info.buildID)",
            "state: \(info.state)",
            "sev-type: \(info.guestType?.rawValue ?? "(not reported: QEMU before 9.1)")",
        ]
        switch info.guest {
        case .sev(let policy, let handle):
            lines.append("policy: 0x\(String(policy, radix: 16))")
            lines.append("handle: \(handle)")
        case .sevSNP(let policy):
            lines.append("snp-policy: 0x\(String(policy, radix: 16))")
        }
        return lines.joined(separator: "\n")
    }

    private static func render(_ capabilities: SEVCapabilities) -> String {
        [
            "pdh: \(capabilities.pdh.count) bytes",
            "cert-chain: \(capabilities.certificateChain.count) bytes",
            "cpu0-id: \(capabilities.cpu0ID.map { Hex.encode($0) } ?? "(not reported)")",
            "cbitpos: \(capabilities.cBitPosition)",
            "reduced-phys-bits: \(capabilities.reducedPhysicalBits)",
        ].joined(separator: "\n")
    }

    /// Base64 text, or `@FILE` for a file's raw bytes.
    private static func bytes(_ text: String, option: String) throws(QMPArgumentError) -> [UInt8] {
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw QMPArgumentError("\(option): cannot read file \(path)")
            }
            return [UInt8](data)
        }
        guard let data = Data(base64Encoded: text) else {
            throw QMPArgumentError("\(option): expected base64 text or @FILE")
        }
        return [UInt8](data)
    }

    private static func address(_ text: String) throws(QMPArgumentError) -> UInt64 {
        let parsed = text.lowercased().hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let parsed else { throw QMPArgumentError("--gpa: expected a decimal or 0x-prefixed hex address, got '\(text)'") }
        return parsed
    }
}

/// A command-line value that is well-formed for the parser but wrong for the command.
private struct QMPArgumentError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
