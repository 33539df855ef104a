import ArgumentParser
import Foundation
import Orchestration

/// `sevhost check`: would this libvirt domain or QEMU command line launch, here or on a captured host?
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a libvirt domain or a QEMU command line for what would stop its confidential launch.",
        discussion: """
            Applies every consistency check sevhost launch makes of a spec, and the refusals QEMU, KVM \
            and the SEV firmware make later, to a domain XML file or a QEMU command line (a file, or \
            the words after --qemu-args --), against this host or the captured host --host-root names: \
            ROM vs pflash for SEV-SNP, policy bit 17 and the bits KVM accepts, SMT, DEBUG, the ABI \
            minimum, kernel hashes against the OVMF, the SNP memory backend and split IRQ chip, the ID \
            block's digest and policy (BAD_MEASUREMENT or POLICY_FAILURE), cbitpos and \
            reduced-phys-bits, ASIDs left, and the SEV-ES VM type. Each finding names the element or \
            option and the fix. Exits 0 only when nothing would stop the launch.
            """ + "\n\n" + CommandExamples.text("sevhost check domain.xml", "sevhost check --qemu-args -- qemu-system-x86_64 -machine q35,confidential-guest-support=sev0"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: ArgumentHelp("A libvirt domain XML file, or a file holding a QEMU command line.", valueName: "FILE"))
    var file: String?

    @Flag(name: .customLong("qemu-args"), help: "Check the QEMU arguments given after --.")
    var qemuArgs = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("With --qemu-args: QEMU's arguments (the program name may lead).", visibility: .hidden))
    var arguments: [String] = []

    @OptionGroup var host: HostRootOption

    @Flag(name: .long, help: "Print the findings as JSON (schema sevhost-check/1).")
    var json = false

    func validate() throws {
        if qemuArgs {
            if file != nil { throw ValidationError("give a FILE or --qemu-args -- ARGS, not both") }
            if arguments.isEmpty { throw ValidationError("--qemu-args needs QEMU's arguments after --") }
        } else {
            if file == nil { throw ValidationError("give a domain XML or command-line FILE, or --qemu-args -- ARGS") }
            if !arguments.isEmpty { throw ValidationError("arguments after -- go with --qemu-args") }
        }
    }

    func run() async throws {
        let report: LaunchCheckReport
        do {
            let input: LaunchCheck.Input
            if qemuArgs {
                input = .qemu(arguments: arguments, source: "--qemu-args")
            } else {
                input = try LaunchCheck.input(file: file ?? "")
            }
            report = try await LaunchCheck(probe: try host.probe()).run(input)
        } catch {
            // A refusal may quote the input (a path, an option's value): escaped, as findings are.
            throw CommandFailure(Self.printable(String(describing: error)))
        }
        let text = json ? report.json : Self.printable(report.text)
        FileHandle.standardOutput.write(Data(text.utf8))
        if !report.passes { throw ExitCode(1) }
    }

    /// Control characters from the input (paths, values) shown as `\xHH`, never raw.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 && scalar != "\n" || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                out += "\\x" + String(format: "%02x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
