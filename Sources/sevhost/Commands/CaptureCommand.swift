import ArgumentParser
import SEVPlatform

/// `sevhost capture DIR`: this host, in the format `--host-root` reads.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture what `sevhost ok` reads of this host into DIR, for --host-root or a bug report.",
        discussion: """
            Copies /proc and /sys files, and records CPUID leaves, MSRs, device node access, firmware \
            answers and the QEMU version as JSON. OVMF images are cut to their last 256 KiB. \
            The capture holds no secrets, but it does identify the machine (CPU, kernel, command line).
            """ + "\n\n" + CommandExamples.text("sevhost capture host"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: ArgumentHelp("The new directory to write.", valueName: "DIR"))
    var directory: String

    func run() throws {
        do {
            try HostCapture.capture(probe: try HostProbe(root: .live), into: directory)
        } catch {
            throw CommandFailure.capturedHost(error)
        }
        print("captured this host into \(directory); probe it with: sevhost ok --host-root \(directory)")
    }
}
