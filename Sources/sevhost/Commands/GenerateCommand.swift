import ArgumentParser
import AtomicFiles
import SEVKit

/// `sevhost generate OCA-CERT OCA-KEY`: a self-signed owner certificate authority for
/// `sevhost provision`, made on the owner's side (no firmware involved).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate an OCA (owner certificate authority): a self-signed SEV certificate and its P-384 key.",
        discussion: """
            OCA-CERT gets the 2084-byte SEV certificate; OCA-KEY the private key, mode 0600, as \
            PKCS#8 PEM, or with --key-encoding der (the default for a name ending in .der) as SEC1 \
            DER, the key file `sevctl generate` writes and `sevctl provision` reads. `sevhost \
            provision` reads either.
            """ + "\n\n" + CommandExamples.text("sevhost generate owner.cert owner.key", "sevhost generate owner.cert owner.der"))
    @OptionGroup var messages: OutputOptions

    /// How the key file is written.
    enum KeyEncoding: String, ExpressibleByArgument, CaseIterable {
        case pem, der
    }

    @Argument(help: "Output file for the OCA certificate.")
    var ocaCert: String

    @Argument(help: "Output file for the OCA private key (0600).")
    var ocaKey: String

    @Option(help: "The key file's encoding: pem (PKCS#8) or der (SEC1, as sevctl writes it). Default: der for a name ending in .der, else pem.")
    var keyEncoding: KeyEncoding?

    func run() async throws {
        let authority = try OwnerCA.generate()
        let encoding = keyEncoding ?? (ocaKey.hasSuffix(".der") ? .der : .pem)
        var output = AtomicFileSet()
        output.add(ocaCert, authority.certificate.encoded)
        output.add(ocaKey, encoding == .der ? authority.keyDER : Array(authority.keyPEM.utf8), mode: AtomicFile.secretMode)
        try output.commit()
    }
}
