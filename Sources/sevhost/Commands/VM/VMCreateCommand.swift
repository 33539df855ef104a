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

            When sevhostd runs its VMs on libvirt hosts (sevhostd --connect), the VM goes on \
            the host --host names (its URI as sevhostd was given it, or its host name), else on \
            the first host whose SEV support and free ASIDs fit the spec; the host is printed.
            """ + "\n\n" + CommandExamples.text("sevhost vm create guest.yaml", "sevhost vm create guest.yaml --host qemu+tcp://10.0.0.2/system")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM spec (YAML or JSON, see sevhost-spec(5)).")
    var spec: String

    @Option(help: ArgumentHelp("With sevhostd --connect: the libvirt host to run on (URI or host name).", valueName: "HOST"))
    var host: String?

    func run() async throws {
        try await VMReport.run("create", options: options) {
            var request = try CreateVMRequest(specFile: spec)
            request.host = host
            let info = try await options.client.createVM(request)
            print("created \(info.name) (\(info.type), policy \(info.policy))\(info.host.map { " on \($0)" } ?? "")")
        }
    }
}
