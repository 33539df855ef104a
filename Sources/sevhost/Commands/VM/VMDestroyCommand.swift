import ArgumentParser
import Orchestration

/// `sevhost vm destroy NAME`.
struct VMDestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Forget a VM (its spec, state and events).",
        discussion: "A VM with a QEMU process is refused unless --force, which kills QEMU first." + "\n\n" + CommandExamples.text("sevhost vm destroy guest --force")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Flag(help: "Kill the VM's QEMU first if it has one.")
    var force = false

    func run() async throws {
        try await VMReport.run("destroy", vm: name, options: options) {
            try await options.client.destroyVM(name, force: force)
            print("destroyed \(name)")
        }
    }
}
