import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// `sevhost report show FILE [--json]`: every field of a report, named as in the SNP ABI.
struct ReportShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print every field of an SNP attestation report (raw 1184 bytes or hex).",
        discussion: CommandExamples.text("sevhost report show report.bin --json"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: ArgumentHelp("The report file.", valueName: "FILE"))
    var file: String

    @Option(help: "Product, to choose the TCB layout of a version-2 report (Turin differs).")
    var product: AMDProduct?

    @Flag(help: "JSON output.")
    var json = false

    func run() throws {
        let bytes = try ReportVerification.readReport(URL(fileURLWithPath: file))
        let report: AttestationReport
        do { report = try AttestationReport(bytes: bytes, product: product) } catch {
            throw CommandFailure("\(file): \(error)")
        }
        if json {
            // The SNP ABI's names, in the one key style: guest_svn is guest-svn.
            print(JSONOutput.render(JSONOutput.schema("report-show"), report.fields), terminator: "")
        } else {
            print(report.textLines.joined(separator: "\n"))
        }
    }
}
