import ArgumentParser
import BoundedFiles
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
                                              B64 may be @FILE (raw, base64 or hex)
              attestation-report [--mnonce B64]   a fresh random mnonce by default

            --json prints QEMU's `return` value as JSON with sorted keys. A refusal is one \
            line on stderr, COMMAND: CLASS: DESCRIPTION, with exit status 1.
            """ + "\n\n" + CommandExamples.text("sevhost qmp vm.qmp status", "sevhost qmp vm.qmp measure")
    )
    @OptionGroup var messages: OutputOptions

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case status, sev, measure, capabilities, cont, stop, quit, raw, inject
        case attestationReport = "attestation-report"
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

    @Option(help: "inject: the packet header, base64 (or @FILE: raw, base64 or hex).")
    var packetHeader: String?

    @Option(help: "inject: the encrypted secret, base64 (or @FILE: raw, base64 or hex).")
    var secret: String?

    @Option(help: "inject: guest physical address of the secret area (decimal or 0x hex).")
    var gpa: String?

    @Option(help: "attestation-report: the 16-byte nonce, base64 (default: random).")
    var mnonce: String?

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
    }

    func run() async throws {
        do {
            let request = try makeRequest()
            let client = try await QMPClient.connect(path: socket, timeout: .seconds(timeout))
            do {
                let reply = try await request.send(client)
                print(json ? reply.jsonText() : try request.render(reply))
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        } catch let error as QMPError {
            throw CommandFailure("qmp: \(error)")
        }
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

    private func makeRequest() throws(CommandFailure) -> Request {
        switch action {
        case .status:
            // QEMU's strings are shown as one line each: a newline in them cannot forge another.
            return typed(QueryStatus()) { "status: \(TerminalText.line($0.status.rawValue))\nrunning: \($0.running)" }
        case .sev:
            return typed(QuerySEV(), render: Self.render)
        case .measure:
            // Only the blob (measurement ‖ MNONCE, hex): what `measurement verify --measurement`
            // and `secret build --measurement` take, as a file or as text.
            return typed(QuerySEVLaunchMeasure()) { Hex.encode($0.bytes) }
        case .capabilities:
            return typed(QuerySEVCapabilities(), render: Self.render)
        case .attestationReport:
            let nonce: [UInt8]
            if let mnonce {
                nonce = try Self.bytes(mnonce, option: "--mnonce", .exactly(16))
            } else {
                var generator = SystemRandomNumberGenerator()
                nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            }
            return typed(QuerySEVAttestationReport(mnonce: nonce)) { report in
                "mnonce: \(Hex.encode(nonce))\nreport: \(Hex.encode(report.bytes))"
            }
        case .inject:
            let command = SEVInjectLaunchSecret(
                packetHeader: try Self.bytes(packetHeader ?? "", option: "--packet-header", LaunchSecretPacket.headerSizes),
                secret: try Self.bytes(secret ?? "", option: "--secret", LaunchSecretPacket.payloadSizes),
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
                    throw CommandFailure("qmp: raw: ARGUMENTS-JSON: expected a JSON object, got: \(rest[1].prefix(60))")
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
            "state: \(TerminalText.line(info.state.rawValue))",
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

    /// Base64 text as QMP carries it, or `@FILE` for a file as `secret build` or sevctl wrote
    /// it (raw, base64 or hex: `BlobText` decides, for a packet of `sizes`).
    private static func bytes(_ text: String, option: String, _ sizes: BlobText.Sizes) throws(CommandFailure) -> [UInt8] {
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            let bytes = try GuestOwnerInput.read(path, option: "qmp: \(option)", .bundle)
            do {
                return try BlobText.decode(file: bytes, sizes)
            } catch {
                throw CommandFailure("qmp: \(option) \(path): \(error)")
            }
        }
        guard let data = Data(base64Encoded: text) else {
            throw CommandFailure("qmp: \(option): expected base64 text or @FILE")
        }
        return [UInt8](data)
    }

    private static func address(_ text: String) throws(CommandFailure) -> UInt64 {
        guard let parsed = try? IntegerText.parse(text, as: UInt64.self) else { throw CommandFailure("qmp: --gpa: expected a decimal or 0x-prefixed hex address, got '\(text)'") }
        return parsed
    }
}
