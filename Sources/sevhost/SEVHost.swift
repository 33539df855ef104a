import ArgumentParser
import SEVKit

@main
struct SEVHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sevhost",
        abstract: "Launch and manage AMD SEV, SEV-ES and SEV-SNP confidential VMs.",
        discussion: CommandExamples.text("sevhost ok", "sevhost launch /usr/share/sevhost/templates/sev.yaml --print libvirt"),
        version: SEVHostRelease.version,
        subcommands: [
            OkCommand.self,
            ShowCommand.self,
            CaptureCommand.self,
            LaunchCommand.self,
            CheckCommand.self,
            HostsCommand.self,
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

    /// The start of every failure line, whoever reports it: ArgumentParser (usage errors, and
    /// errors a command throws from below) or `CommandFailure`.
    static var _errorPrefix: String { CommandFailure.prefix }

    /// ArgumentParser's own entry, but every failure is reported by `CommandFailure.exit`: one
    /// format for a usage error and a refused check alike, and exit status 2 where a refusal
    /// calls for it.
    static func main() async {
        do {
            var command = try parseAsRoot()
            OutputPolicy.quiet = OutputOptions.of(command)?.quiet ?? false
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            CommandFailure.exit(error)
        }
    }
}
