import ArgumentParser

/// `sevhost report`: SEV-SNP attestation reports.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Show and verify SEV-SNP attestation reports.",
        subcommands: [ReportShowCommand.self, ReportVerifyCommand.self]
    )
}
