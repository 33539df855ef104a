import ArgumentParser
import Orchestration

/// `sevhost vm show NAME`.
struct VMShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one VM: state (and why it failed), type, policy, QEMU's pid and QMP socket, times.",
        discussion: CommandExamples.text("sevhost vm show guest")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Flag(help: "Print the daemon's JSON (sorted keys).")
    var json = false

    func run() async throws {
        try await VMReport.run("show", vm: name, options: options) {
            let info = try await options.client.showVM(name)
            print(json ? JSONOutput.render(JSONOutput.schema("vm-show"), info) : VMRender.details(info), terminator: "")
        }
    }
}
