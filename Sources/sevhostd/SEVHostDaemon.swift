import ArgumentParser
import Foundation
import Logging
import Orchestration
import SEVDaemon
import SEVKit

/// sevhostd: keeps the confidential VMs of a host (see sevhostd(8)).
@main
struct SEVHostDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sevhostd",
        abstract: "The sevhost daemon: launches confidential VMs from specs, holds them at the pre-attestation gate, supervises QEMU.",
        version: "0.1.0")

    @Option(help: "The API's Unix socket.")
    var socket = "/run/sevhost/sevhostd.sock"

    @Option(help: "Permission bits of the socket (octal).")
    var socketMode = "0660"

    @Option(help: "Owner of the socket (user name or uid).")
    var socketOwner: String?

    @Option(help: "Group of the socket (group name or gid); its members may use the API.")
    var socketGroup: String?

    @Option(help: "Where the state database and the VMs' directories live.")
    var stateDir = "/var/lib/sevhost"

    @Option(help: "Where the QMP sockets live.")
    var runDir = "/run/sevhost"

    @Option(help: "The program run as QEMU (anything that takes QEMU's command line, e.g. sevhost-sim).")
    var qemu = "qemu-system-x86_64"

    @Option(name: .customLong("cbitpos"), help: "C-bit position (default: from the host's CPUID).")
    var cbitPosition: Int?

    @Option(name: .customLong("reduced-phys-bits"), help: "Reduced physical address bits (default: from the host's CPUID).")
    var reducedPhysBits: Int?

    @Option(help: ArgumentHelp("Read the C-bit values from the captured host in DIR.", valueName: "DIR"))
    var hostRoot: String?

    @Option(help: "Seconds between quit, SIGTERM and SIGKILL when stopping a VM.")
    var stopTimeout: Double = DaemonConfiguration.defaultStopTimeout

    @Option(help: "Seconds a new QEMU has to open its QMP socket and be measured.")
    var startTimeout: Double = DaemonConfiguration.defaultStartTimeout

    @Option(help: "The most events kept per VM; older ones are dropped as new ones arrive.")
    var eventHistory = DaemonConfiguration.defaultEventHistory

    @Option(help: "Seconds a client has to send a request's head (an idle connection is closed after as long).")
    var headerTimeout: Double = DaemonConfiguration.defaultHeaderTimeout

    @Option(help: "Seconds a client has to send a request's body once its head arrived.")
    var bodyTimeout: Double = DaemonConfiguration.defaultBodyTimeout

    @Option(help: "The most API connections open at once; further clients wait until one closes.")
    var maxConnections = DaemonConfiguration.defaultMaximumConnections

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "text or json.")
    var logFormat = "text"

    func validate() throws {
        if (cbitPosition == nil) != (reducedPhysBits == nil) {
            throw ValidationError("--cbitpos and --reduced-phys-bits go together")
        }
        guard UInt32(socketMode, radix: 8).map({ $0 <= 0o777 }) == true else {
            throw ValidationError("--socket-mode \(socketMode): expected octal permission bits such as 0660")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format \(logFormat): expected text or json") }
        guard stopTimeout > 0, startTimeout > 0 else { throw ValidationError("--stop-timeout and --start-timeout must be positive") }
        guard eventHistory >= 1 else { throw ValidationError("--event-history \(eventHistory): expected at least 1") }
        guard headerTimeout > 0, bodyTimeout > 0, headerTimeout.isFinite, bodyTimeout.isFinite else {
            throw ValidationError("--header-timeout and --body-timeout must be positive")
        }
        guard (1...65536).contains(maxConnections) else { throw ValidationError("--max-connections \(maxConnections): expected 1 to 65536") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler = SafeLogHandler(json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sevhostd")
        let configuration = DaemonConfiguration(
            socketPath: socket, socketMode: UInt32(socketMode, radix: 8) ?? 0o660,
            socketOwner: try socketOwner.map { try Self.userID($0) }, socketGroup: try socketGroup.map { try Self.groupID($0) },
            stateDirectory: stateDir, runDirectory: runDir, qemu: qemu, host: hostParameters(logger: logger),
            stopTimeout: stopTimeout, startTimeout: startTimeout, eventHistory: eventHistory, version: Self.configuration.version,
            headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, maximumConnections: maxConnections,
            crashPoint: ProcessInfo.processInfo.environment[DaemonConfiguration.crashPointVariable].flatMap { $0.isEmpty ? nil : $0 })
        do {
            try await DaemonServer.run(configuration, logger: logger)
        } catch let error as DaemonServer.StartupError {
            FileHandle.standardError.write(Data("sevhostd: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Flags first, then the (captured or live) host's CPUID; a host without SEV is not fatal
    /// here, every SEV launch then says why it cannot start.
    private func hostParameters(logger: Logger) -> HostSEVParameters? {
        do {
            let facts = try HostFacts.probe(cbitPosition: cbitPosition, reducedPhysBits: reducedPhysBits, hostRoot: hostRoot)
            if facts.sev == nil {
                logger.warning("C-bit position unknown; SEV launches will be refused", metadata: ["probe": "\(facts.unknownHint ?? "")"])
            }
            return facts.sev
        } catch {
            logger.warning("C-bit position unknown; SEV launches will be refused", metadata: ["probe": "\(error)"])
            return nil
        }
    }

    static func userID(_ text: String) throws -> UInt32 {
        if let uid = UInt32(text) { return uid }
        guard let entry = getpwnam(text) else { throw ValidationError("--socket-owner \(text): no such user") }
        return entry.pointee.pw_uid
    }

    static func groupID(_ text: String) throws -> UInt32 {
        if let gid = UInt32(text) { return gid }
        guard let entry = getgrnam(text) else { throw ValidationError("--socket-group \(text): no such group") }
        return entry.pointee.gr_gid
    }
}
