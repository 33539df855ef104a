import ArgumentParser
import BoundedFiles
import Foundation
import Orchestration

/// `sevhost vm inject NAME ANSWER`: the guest owner's secret, through the daemon.
struct VMInjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Inject the guest owner's answer (`sevhost secret build` output) into a paused VM; it then runs.",
        discussion: """
            With --bundle, the bundle's measurement goes along and the daemon refuses when the \
            guest's current launch is another one. A refusal (by the daemon, or by the firmware \
            for a secret made for another launch) exits with status 2 and leaves the VM \
            paused; other failures exit with status 1. The secret is not stored by the daemon.
            """ + "\n\n" + CommandExamples.text("sevhost vm inject guest answer.txt --bundle bundle.json")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Argument(help: "The answer file (- for standard input): `header: B64` and `payload: B64` lines, or JSON with header and payload.")
    var answer: String

    @Option(help: ArgumentHelp("The bundle the answer was made for: refuse when the guest's measurement changed since.", valueName: "FILE"))
    var bundle: String?

    @Option(help: ArgumentHelp("Guest physical address for the secret (decimal or 0x hex); default: the firmware's secret area.", valueName: "ADDR"))
    var gpa: String?

    func run() async throws {
        try await VMReport.run("inject", vm: name, options: options, refusalExitsWith2: true) {
            let text = try GuestOwnerInput.readOrStandardInput(answer, option: "ANSWER", .bundle)
            let parsed = try AttestationAnswer(text: text, name: answer == "-" ? "standard input" : answer)
            let bundleValue = try bundle.map { path in
                try AttestationBundle(json: try GuestOwnerInput.read(path, option: "--bundle", .bundle), name: path)
            }
            let request = InjectRequest(
                header: Data(parsed.header).base64EncodedString(),
                payload: Data(parsed.payload).base64EncodedString(),
                measurement: bundleValue?.measurement,
                gpa: try gpa.map { try GuestOwnerInput.address($0, option: "--gpa") })
            let info = try await options.client.inject(name, request)
            print("\(name): injected \(parsed.payload.count)-byte secret; \(info.state.rawValue)")
        }
    }
}
