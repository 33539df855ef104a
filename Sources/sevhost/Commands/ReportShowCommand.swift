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
            print(OrderedJSON.object(report.fields).rendered())
        } else {
            print(report.textLines.joined(separator: "\n"))
        }
    }
}
