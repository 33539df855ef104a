import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// The options every `sevhost vm` subcommand shares: which daemon, and how long to wait.
struct VMDaemonOptions: ParsableArguments {
    @Option(
        name: .customLong("daemon"),
        help: ArgumentHelp(
            "sevhostd's API socket (default: $SEVHOST_DAEMON, else \(DaemonClient.defaultSocketPath)).",
            valueName: "SOCKET"))
    var daemon: String?

    @Option(help: ArgumentHelp(
        "Seconds to wait for the connection and each answer; requests that wait for the VM get the daemon's own limit on top.",
        valueName: "SECONDS"))
    var timeout: Double = 30

    func validate() throws {
        guard timeout > 0, timeout.isFinite, timeout < 86400 else {
            throw ValidationError("--timeout: expected a positive number of seconds")
        }
    }

    var socketPath: String { daemon ?? DaemonClient.socketPath() }

    var client: DaemonClient {
        DaemonClient(socketPath: socketPath, timeout: .seconds(timeout))
    }
}

/// Runs a `vm` subcommand's work and reports any failure as one line,
/// `sevhost: vm VERB: MESSAGE`, with exit status 1 (2 for a refused inject).
enum VMReport {
    static func run(
        _ verb: String, vm: String? = nil, options: VMDaemonOptions, refusalExitsWith2: Bool = false,
        _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as DaemonClientError {
            let refused = refusalExitsWith2 && (error.code == .refused || error.code == .qemu)
            var message = self.message(error, vm: vm, socket: options.socketPath)
            if refusalExitsWith2, let code = error.code {
                if code == .refused { message += "; nothing was injected, the guest stays paused" }
                if code == .qemu { message += "; the guest stays paused" }
            }
            throw fail(verb, message, status: refused ? 2 : 1)
        } catch {
            throw fail(verb, "\(error)", status: 1)
        }
    }

    /// The message for a daemon error: the daemon's own words for API errors (after the VM's
    /// name unless they name it already), a hint about the socket when there is no daemon.
    static func message(_ error: DaemonClientError, vm: String?, socket: String) -> String {
        switch error {
        case .cannotConnect:
            return "\(error) (is it running? --daemon or \(DaemonClient.socketEnvironmentVariable) names another socket)"
        case .api(_, _, let message):
            guard let vm, !message.contains(vm) else { return message }
            return "\(vm): \(message)"
        case .malformedResponse, .timedOut:
            return "\(error)"
        }
    }

    static func fail(_ verb: String, _ message: String, status: Int32) -> CommandFailure {
        CommandFailure("vm \(verb): \(message)", exitCode: status)
    }
}

/// Standard output for lines that must reach a pipe as they happen (`events --follow`).
enum VMOutput {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(TerminalText.lines(text).utf8))
    }
}
