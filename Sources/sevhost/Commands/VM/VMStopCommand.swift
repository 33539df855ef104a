import ArgumentParser
import Orchestration

/// `sevhost vm stop NAME`.
struct VMStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a VM's QEMU: QMP quit, then SIGTERM and SIGKILL after the daemon's stop timeout.",
        discussion: "--force sends SIGKILL at once. Waits until the VM is stopped unless --no-wait." + "\n\n" + CommandExamples.text("sevhost vm stop guest")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Flag(help: "Kill QEMU at once (SIGKILL).")
    var force = false

    @Flag(name: .customLong("no-wait"), help: "Answer as soon as the stop is under way.")
    var noWait = false

    func run() async throws {
        try await VMReport.run("stop", vm: name, options: options) {
            let client = options.client
            let info = try await TerminalProgress.around("stopping \(name)") {
                try await client.stopVM(name, force: force, wait: !noWait)
            }
            print("\(name): \(noWait && info.state.hasProcess ? "stopping" : info.state.rawValue)")
        }
    }
}
