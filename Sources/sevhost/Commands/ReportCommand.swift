import ArgumentParser

/// `sevhost report`: SEV-SNP attestation reports.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Show and verify SEV-SNP attestation reports.",
        discussion: CommandExamples.text("sevhost report show report.bin"),
        subcommands: [ReportShowCommand.self, ReportVerifyCommand.self]
    )
}
