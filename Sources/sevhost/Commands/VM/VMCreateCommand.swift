import ArgumentParser
import Orchestration

/// `sevhost vm create SPEC`: checks the spec here, then hands it to the daemon.
struct VMCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Define a VM from a spec file (it is not started).",
        discussion: """
            The spec is read and checked here first, so a syntax or schema error names the \
            file's own line. Relative paths in it are made absolute against the spec file's \
            directory, because the daemon reads them from elsewhere; the spec goes to the daemon \
            as JSON.
            """ + "\n\n" + CommandExamples.text("sevhost vm create guest.yaml")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM spec (YAML or JSON, see sevhost-spec(5)).")
    var spec: String

    func run() async throws {
        try await VMReport.run("create", options: options) {
            let info = try await options.client.createVM(try CreateVMRequest(specFile: spec))
            print("created \(info.name) (\(info.type), policy \(info.policy))")
        }
    }
}
