import ArgumentParser
import AtomicFiles
import Foundation
import Orchestration

/// `sevhost vm measurement NAME`: the attestation bundle for the guest owner.
struct VMMeasurementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measurement",
        abstract: "Write a paused VM's attestation bundle (measurement, firmware, policy, certificates).",
        discussion: """
            The bundle is what `sevhost attest export` writes (sevhost-attestation-bundle/1): \
            the guest owner checks it with `sevhost measurement verify` and answers with \
            `sevhost secret build`; the answer goes back through `sevhost vm inject`.
            """ + "\n\n" + CommandExamples.text("sevhost vm measurement guest --out bundle.json")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Option(help: ArgumentHelp("Write the bundle to this file (atomically) instead of standard output.", valueName: "FILE"))
    var out: String?

    func run() async throws {
        try await VMReport.run("measurement", vm: name, options: options) {
            let bundle = try await options.client.measurement(name)
            if let out {
                var files = AtomicFileSet()
                files.add(out, bundle.json)
                try files.commit()
                CLIFiles.stderr("wrote \(out)")
            } else {
                FileHandle.standardOutput.write(Data(bundle.json))
            }
        }
    }
}
