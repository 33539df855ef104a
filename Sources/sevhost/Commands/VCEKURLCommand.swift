import ArgumentParser
import Orchestration
import SEVKit

/// `sevhost show vcek-url`: the KDS URL of a chip's VCEK, from a report or by hand, for
/// fetching on another machine.
struct VCEKURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vcek-url",
        abstract: "Print the AMD KDS URL of the VCEK for a report (or a chip id and TCB).",
        discussion: CommandExamples.text("sevhost show vcek-url --report report.bin --certs certs"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var source: VCEKSource

    @Option(name: .customLong("kds-url"), help: ArgumentHelp(
        "KDS base URL (default: $SEVHOST_KDS_URL, else https://kdsintf.amd.com).", valueName: "URL"))
    var kdsURL: String?

    @Flag(name: .customLong("zero-padded"), help: "Write SPLs with two digits (blSPL=03), as snpguest/snphost do.")
    var zeroPadded = false

    func run() throws {
        let (product, chip, tcb) = try source.resolve()
        let urls = KDSURL(base: KDSConfiguration.resolveBaseURL(option: kdsURL))
        do {
            print(try urls.vcek(product: product, chipID: chip, tcb: tcb, style: zeroPadded ? .zeroPadded : .plain))
        } catch {
            throw CommandFailure(error.message)
        }
    }
}
