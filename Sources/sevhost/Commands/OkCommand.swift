import ArgumentParser
import Foundation
import SEVKit
import SEVPlatform

/// `sevhost ok`: can this host run SEV, SEV-ES or SEV-SNP guests, and if not, why not.
struct OkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ok",
        abstract: "Check whether this host can run SEV, SEV-ES or SEV-SNP guests.",
        discussion: """
            Runs every check of sevctl ok and snphost ok, in their order and line format, then the \
            host checks neither makes (bare metal, kernel, IOMMU, QEMU, OVMF). Children of a failed \
            check are shown as SKIP. Without a generation, the newest one the CPU supports is checked. \
            Exits 0 only when every selected check passes.
            """ + "\n\n" + CommandExamples.text("sevhost ok snp --verbose", "sevhost ok --json --host-root host"))
    @OptionGroup var messages: OutputOptions

    enum Generation: String, ExpressibleByArgument, CaseIterable {
        case sev, es, snp
        var value: SEVGeneration {
            switch self {
            case .sev: .sev
            case .es: .es
            case .snp: .snp
            }
        }
    }

    @Argument(help: "The generation to check: sev, es or snp (default: the newest the CPU supports).")
    var generation: Generation?

    @OptionGroup var host: HostRootOption

    @OptionGroup var firmware: FirmwareOption

    @Flag(name: .shortAndLong, help: "Show only failures, skipped checks and the counts.")
    var short = false

    @Flag(name: .shortAndLong, help: "Group checks by category, with what each tests and how to fix failures.")
    var verbose = false

    @Flag(name: .long, help: "Print the report as JSON (schema sevhost-ok/1, see sevhost-ok(1)).")
    var json = false

    @Flag(name: .long, help: "Also check optional features: Secure TSC, and SNP certificate requests with the table --table names.")
    var features = false

    @Option(name: .customLong("table"), help: ArgumentHelp(
        "With --features: the SNP certificate table VMMs serve (default \(HostChecks.defaultCertificateTable)).", valueName: "FILE"))
    var table: String?

    func validate() throws {
        if [short, verbose, json].filter({ $0 }).count > 1 {
            throw ValidationError("--short, --verbose and --json are exclusive")
        }
        if table != nil, !features { throw ValidationError("--table goes with --features") }
    }

    func run() async throws {
        let checks = HostChecks.all + (features ? HostChecks.optionalFeatures(certificateTable: table ?? HostChecks.defaultCertificateTable) : [])
        let report = CheckRunner.run(checks, probe: try host.probe(firmware: try await firmware.answersForProbe()), generation: generation?.value)
        let style = ReportStyle.forStandardOutput()
        let text: String
        if json {
            text = JSONRenderer.render(report)
        } else if short {
            text = ShortRenderer.render(report, style: style)
        } else if verbose {
            text = VerboseRenderer.render(report, style: style)
        } else {
            text = TreeRenderer.render(report, style: style)
        }
        FileHandle.standardOutput.write(Data(text.utf8))
        if !report.ok { throw ExitCode(1) }
    }
}
