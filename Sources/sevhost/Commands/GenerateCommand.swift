import ArgumentParser
import AtomicFiles
import SEVKit

/// `sevhost generate OCA-CERT OCA-KEY`: a self-signed owner certificate authority for
/// `sevhost provision`, made on the owner's side (no firmware involved).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate an OCA (owner certificate authority): a self-signed SEV certificate and its P-384 key.",
        discussion: "OCA-CERT gets the 2084-byte SEV certificate; OCA-KEY the private key as PKCS#8 PEM, mode 0600." + "\n\n" + CommandExamples.text("sevhost generate owner.cert owner.key"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: "Output file for the OCA certificate.")
    var ocaCert: String

    @Argument(help: "Output file for the OCA private key (PEM, 0600).")
    var ocaKey: String

    func run() async throws {
        let authority = try OwnerCA.generate()
        var output = AtomicFileSet()
        output.add(ocaCert, authority.certificate.encoded)
        output.add(ocaKey, Array(authority.keyPEM.utf8), mode: AtomicFile.secretMode)
        try output.commit()
    }
}
