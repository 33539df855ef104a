import ArgumentParser
import Orchestration

/// `sevhost vm start NAME`: launches QEMU and, by default, waits until the VM is measured
/// and paused (pre-attestation) or running.
struct VMStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a VM; wait until it awaits its secret (paused, measured) or runs.",
        discussion: """
            A pre-attested VM stops at awaiting-secret: fetch its measurement with \
            `sevhost vm measurement NAME` for the guest owner, and inject the answer with \
            `sevhost vm inject`. A VM that fails to start prints the reason (QEMU's last \
            lines) and exits with status 1.
            """ + "\n\n" + CommandExamples.text("sevhost vm start guest")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Flag(name: .customLong("no-wait"), help: "Answer as soon as QEMU is started.")
    var noWait = false

    func run() async throws {
        try await VMReport.run("start", vm: name, options: options) {
            let client = options.client
            let info = try await TerminalProgress.around("starting \(name): waiting until it is measured or runs") {
                try await client.startVM(name, wait: !noWait)
            }
            switch info.state {
            case .awaitingSecret:
                print("\(name): awaiting-secret (paused, measured; fetch with: sevhost vm measurement \(name))")
            case .failed:
                // The reason quotes QEMU's last output: it is shown on the one failure line,
                // its newlines (a hostile QEMU's forged lines) escaped.
                throw CommandFailure("\(name): failed: \(info.reason ?? "no reason given")")
            default:
                print("\(name): \(info.state.rawValue)")
            }
        }
    }
}
