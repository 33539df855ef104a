import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import SEVKit

/// `sevhost id-block`: the SNP ID block and ID auth info for a launch, base64 as QEMU's
/// `sev-snp-guest` (`id-block=`, `id-auth=`) and libvirt's `<idBlock>`/`<idAuth>` take them.
struct IDBlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id-block",
        abstract: "Build and sign an SNP ID block and ID auth info.",
        discussion: "--policy must be the exact SNP guest policy the VM is launched with; the firmware refuses an ID block whose policy differs." + "\n\n" + CommandExamples.text("sevhost id-block --id-key id.pem --author-key author.pem --measurement DIGEST --policy 0x30000"))
    @OptionGroup var messages: OutputOptions

    @Option(name: .customLong("id-key"), help: ArgumentHelp("ID key, P-384 private key PEM (SEC1 or PKCS#8).", valueName: "KEY"))
    var idKey: String

    @Option(name: .customLong("author-key"), help: ArgumentHelp("Author key, P-384 private key PEM; signs the ID key.", valueName: "KEY"))
    var authorKey: String?

    @Option(help: ArgumentHelp("Launch digest (48 bytes, hex or base64), e.g. from sevhost digest.", valueName: "DIGEST"))
    var measurement: String

    @Option(help: ArgumentHelp("SNP guest policy of the launch (e.g. 0x30000).", valueName: "POLICY"))
    var policy: String

    @Option(name: .customLong("family-id"), help: ArgumentHelp("16 bytes, hex or base64 (default zeros).", valueName: "HEX"))
    var familyID: String?

    @Option(name: .customLong("image-id"), help: ArgumentHelp("16 bytes, hex or base64 (default zeros).", valueName: "HEX"))
    var imageID: String?

    @Option(help: "ID block version (1).")
    var version: UInt32 = IDBlock.currentVersion

    @Option(help: "Guest SVN.")
    var svn: UInt32 = 0

    @Option(name: .customLong("out"), help: ArgumentHelp("Also write id-block.b64 and id-auth.b64 into this directory.", valueName: "DIR"))
    var out: String?

    @Flag(help: "JSON output.")
    var json = false

    func validate() throws {
        guard version == IDBlock.currentVersion else {
            throw ValidationError("--version \(version): the SNP firmware ABI defines ID block version \(IDBlock.currentVersion) only")
        }
    }

    func run() throws {
        let digest = try ByteOption.parse(measurement, option: "--measurement", lengths: [48])
        let policyValue = try PolicyOption.parse(policy, option: "--policy")
        let family = try familyID.map { try ByteOption.parse($0, option: "--family-id", lengths: [16]) } ?? [UInt8](repeating: 0, count: 16)
        let image = try imageID.map { try ByteOption.parse($0, option: "--image-id", lengths: [16]) } ?? [UInt8](repeating: 0, count: 16)
        let block = try IDBlock(launchDigest: digest, familyID: family, imageID: image, version: version, guestSVN: svn, policy: policyValue)
        let id = try SigningKeyFile.privateKey(pem: String(decoding: try GuestOwnerInput.read(idKey, option: "--id-key", .key), as: UTF8.self), name: idKey)
        let author = try authorKey.map {
            try SigningKeyFile.privateKey(pem: String(decoding: try GuestOwnerInput.read($0, option: "--author-key", .key), as: UTF8.self), name: $0)
        }
        let auth = try IDAuthInfo.sign(block, idKey: id, authorKey: author)
        guard auth.verifies(block) else { throw CommandFailure("internal error: the ID auth signatures do not verify") }
        let blockB64 = Data(block.bytes).base64EncodedString()
        let authB64 = Data(auth.bytes).base64EncodedString()
        let idDigest = Data(auth.idKey.digest).base64EncodedString()
        let authorDigest = auth.authorKey.map { Data($0.digest).base64EncodedString() }
        if let out {
            let dir = URL(fileURLWithPath: out)
            var files = AtomicFileSet()
            files.add(dir.appendingPathComponent("id-block.b64").path, Array(blockB64.utf8))
            files.add(dir.appendingPathComponent("id-auth.b64").path, Array(authB64.utf8))
            try files.commit(creatingDirectoriesWithMode: AtomicFile.publicDirectoryMode)
        }
        if json {
            print(JSONOutput.render(JSONOutput.schema("id-block"), [
                ("id-block", .string(blockB64)), ("id-auth", .string(authB64)),
                ("id-key-digest", .string(idDigest)), ("author-key-digest", authorDigest.map { .string($0) } ?? .null),
                ("author-key-enabled", .bool(author != nil)),
            ]), terminator: "")
        } else {
            print("id-block: \(blockB64)")
            print("id-auth: \(authB64)")
            print("id-key-digest: \(idDigest)")
            if let authorDigest { print("author-key-digest: \(authorDigest)") }
            print("author-key-enabled: \(author != nil ? "on" : "off")")
        }
    }
}

/// A 64-bit policy as hex (`0x30000`) or decimal.
enum PolicyOption {
    static func parse(_ text: String, option: String) throws -> UInt64 {
        guard let value = try? IntegerText.parse(text, as: UInt64.self) else { throw CommandFailure("\(option): expected a number like 0x30000, got '\(text)'") }
        return value
    }
}
