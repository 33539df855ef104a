import ArgumentParser
import BoundedFiles
import Foundation
import SEVKit

/// `sevhost key-digest KEY`: SHA-384 of the key's 1028-byte SEV public-key structure, which is
/// what a report's ID_KEY_DIGEST / AUTHOR_KEY_DIGEST holds (for `report verify --id-key-digest`).
struct KeyDigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key-digest",
        abstract: "Print the SNP key digest (SHA-384 of the SEV public-key structure) of a P-384 key.",
        discussion: CommandExamples.text("sevhost key-digest id.pem"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: ArgumentHelp("P-384 key, PEM (private SEC1/PKCS#8, or public).", valueName: "KEY"))
    var key: String

    @Flag(help: "Hex instead of base64.")
    var hex = false

    @Flag(help: "Print the digest as JSON (schema sevhost-key-digest/1).")
    var json = false

    func run() throws {
        let pem = String(decoding: try GuestOwnerInput.read(key, option: "KEY", .key), as: UTF8.self)
        let publicKey = try SigningKeyFile.publicKey(pem: pem, name: key)
        let digest = SEVECDSAPublicKey(publicKey).digest
        let text = hex ? Hex.encode(digest) : Data(digest).base64EncodedString()
        if json {
            print(JSONOutput.render(JSONOutput.schema("key-digest"), [("key", .string(key)), ("digest", .string(text))]), terminator: "")
        } else {
            print(text)
        }
    }
}
