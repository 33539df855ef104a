import ArgumentParser

@main
struct SEVHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sevhost",
        abstract: "Launch and manage AMD SEV, SEV-ES and SEV-SNP confidential VMs.",
        version: "0.1.0",
        subcommands: [
            OkCommand.self,
            ShowCommand.self,
            CaptureCommand.self,
            LaunchCommand.self,
            PolicyCommand.self,
            DigestCommand.self,
            VMSACommand.self,
            VerifyCommand.self,
            SessionCommand.self,
            MeasurementCommand.self,
            SecretCommand.self,
            QMPSubcommand.self,
            AttestCommand.self,
            ExportCommand.self,
            GenerateCommand.self,
            ProvisionCommand.self,
            ResetCommand.self,
            RotateCommand.self,
            SNPCommand.self,
            ReportCommand.self,
            FetchCommand.self,
            IDBlockCommand.self,
            KeyDigestCommand.self,
            VMCommand.self,
        ]
    )
}
