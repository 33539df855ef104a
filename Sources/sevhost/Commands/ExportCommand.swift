import ArgumentParser
import SEVKit
import SEVPlatform

/// `sevhost export [--full] FILE`: the platform's certificate chain, as sevctl writes it.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the platform's SEV certificate chain (PDH, PEK, OCA, CEK) to FILE.",
        discussion: """
            PDH_CERT_EXPORT gives the PDH, PEK, OCA and CEK (8336 bytes), the chain `sevhost verify \
            --sev` reads. --full appends AMD's ASK and ARK: sevhost downloads nothing, so pass \
            AMD's ask_ark_<product>.cert with --ca.
            """)

    @OptionGroup var firmware: FirmwareOption

    @Flag(help: "Append the AMD CA chain (ASK, ARK) given with --ca.")
    var full = false

    @Option(help: ArgumentHelp("AMD CA chain file (ASK then ARK) for --full.", valueName: "FILE"))
    var ca: String?

    @Argument(help: "Output file.")
    var file: String

    func run() async throws {
        var caBytes: [UInt8] = []
        if full {
            guard let ca else {
                throw FirmwareFailure(message: "--full needs AMD's CA chain: pass ask_ark_<product>.cert with --ca (sevhost downloads nothing)")
            }
            let bytes = try GuestOwnerInput.read(ca, option: "--ca")
            do {
                caBytes = try AMDCAChain(bytes: bytes, name: ca).encoded
            } catch {
                throw FirmwareFailure(message: error.description)
            }
        } else if ca != nil {
            throw FirmwareFailure(message: "--ca is only used with --full")
        }
        let device = try firmware.open()
        let chain = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.exportPDH() }
        var output = OutputFileSet()
        output.add(file, chain.encoded + caBytes)
        try output.commit()
    }
}
