import ArgumentParser
import Orchestration
import SEVKit

/// `sevhost vm logs NAME`: the tail of QEMU's output.
struct VMLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the last lines of a VM's QEMU output (stdout and stderr).",
        discussion: CommandExamples.text("sevhost vm logs guest --lines 20")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Option(help: ArgumentHelp("How many lines (1...10000; the daemon's default is 100).", valueName: "N"))
    var lines: Int?

    func validate() throws {
        if let lines, !(1...10000).contains(lines) { throw ValidationError("--lines: expected 1...10000") }
    }

    func run() async throws {
        try await VMReport.run("logs", vm: name, options: options) {
            // QEMU's output, and the guest's console when its spec sends the serial port there.
            let text = TerminalText.printable(try await options.client.logs(name, lines: lines))
            VMOutput.write(text.isEmpty || text.hasSuffix("\n") ? text : text + "\n")
        }
    }
}
