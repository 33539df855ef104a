import ArgumentParser
import AtomicFiles
import BoundedFiles
import Orchestration
import SEVKit
import SEVPlatform

/// `sevhost export [--full] FILE`: the platform's certificate chain, as sevctl writes it.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the platform's SEV certificate chain (PDH, PEK, OCA, CEK) to FILE.",
        discussion: """
            PDH_CERT_EXPORT gives the PDH, PEK, OCA and CEK (8336 bytes), the chain `sevhost verify \
            --sev` reads. --full appends AMD's ASK and ARK: from --ca, or else AMD's \
            ask_ark_<product>.cert downloaded as `sevhost verify --sev` does (--product, --ca-url, \
            $SEVHOST_AMD_CA_URL), kept only if its ASK signs the exported CEK and its ARK is AMD's \
            pinned root.
            """ + "\n\n" + CommandExamples.text("sevhost export platform.cert", "sevhost export platform.cert --full --ca ask_ark_milan.cert"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption

    @Flag(help: "Append the AMD CA chain (ASK, ARK): --ca, else downloaded from AMD.")
    var full = false

    @Option(help: ArgumentHelp("AMD CA chain file (ASK then ARK) for --full.", valueName: "FILE"))
    var ca: String?

    @OptionGroup var download: AMDCAOptions

    @Argument(help: "Output file.")
    var file: String

    func run() async throws {
        var caBytes: [UInt8]?
        if full, let ca {
            guard !download.downloadOptionsGiven else {
                throw CommandFailure("--product and --ca-url are only used when the CA chain is downloaded, not with --ca")
            }
            let bytes = try GuestOwnerInput.certificates(ca, option: "--ca")
            do {
                caBytes = try AMDCAChain(bytes: bytes, name: ca).encoded
            } catch {
                throw CommandFailure(error.description)
            }
        } else if !full, ca != nil || download.downloadOptionsGiven {
            throw CommandFailure(ca != nil ? "--ca is only used with --full" : "--product and --ca-url are only used with --full")
        }
        let device = try firmware.open()
        let chain = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.exportPDH() }
        if full, caBytes == nil {
            caBytes = try await download.chain(signing: chain.cek).encoded
        }
        var output = AtomicFileSet()
        output.add(file, chain.encoded + (caBytes ?? []))
        try output.commit()
    }
}
