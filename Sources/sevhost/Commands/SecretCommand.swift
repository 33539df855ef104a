import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import Orchestration
import SEVKit

/// `sevhost secret build`: a LAUNCH_SECRET packet for QMP `sev-inject-launch-secret` or
/// `virsh domsetlaunchsecstate`.
struct SecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Build SEV launch secrets.",
        discussion: CommandExamples.text("sevhost secret build --tek vm_tek.bin --tik vm_tik.bin --measurement bundle.json --secret luks-key:disk.key"),
        subcommands: [SecretBuildCommand.self]
    )
}

struct SecretBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a LAUNCH_SECRET header and payload.",
        discussion: """
            Each --secret is GUID:FILE; GUID may be an alias: \(WellKnownSecretGUID.aliases.map { "\($0.name) = \($0.guid)" }.joined(separator: ", ")). \
            Without --out-header/--out-payload both are printed base64-encoded; with them they are \
            written base64-encoded, or raw with --raw.
            """ + "\n\n" + CommandExamples.text("sevhost secret build --tek vm_tek.bin --tik vm_tik.bin --measurement bundle.json --secret luks-key:disk.key")
    )
    @OptionGroup var messages: OutputOptions

    @Option(help: "TEK: 16-byte file or base64.")
    var tek: String

    @Option(help: "TIK: 16-byte file or base64.")
    var tik: String

    @Option(name: [.customLong("measurement"), .customLong("launch-measure-blob")], help: "LAUNCH_MEASURE blob (48 bytes) or measurement (32 bytes): a file (raw, base64, hex, saved QMP reply) or base64/hex text, or an attestation bundle (`attest export`, `vm measurement`).")
    var measurement: String

    @Option(help: "GUID:FILE (repeatable).")
    var secret: [String] = []

    @Option(help: .hidden)
    var iv: String?

    @Flag(help: "Write raw bytes instead of base64 to the output files.")
    var raw = false

    @Option(help: "Header output file.")
    var outHeader: String?

    @Option(help: "Payload output file.")
    var outPayload: String?

    func run() async throws {
        guard (outHeader == nil) == (outPayload == nil) else {
            throw CommandFailure("--out-header and --out-payload go together")
        }
        if raw && outHeader == nil {
            throw CommandFailure("--raw needs --out-header and --out-payload (raw bytes are not printed)")
        }
        guard !secret.isEmpty else { throw CommandFailure("at least one --secret GUID:FILE is needed") }
        let entries = try SecretArguments.entries(secret)
        let tekBytes = try GuestOwnerInput.fixed(tek, option: "--tek", count: 16)
        let tikBytes = try GuestOwnerInput.fixed(tik, option: "--tik", count: 16)
        // The whole LAUNCH_MEASURE blob (48 bytes), just its measurement (32 bytes), or the
        // blob an attestation bundle carries.
        let measureBytes = try Self.bundleMeasurement(measurement)
            ?? GuestOwnerInput.blob(measurement, option: "--measurement", BlobText.Sizes(
                description: "the 48-byte LAUNCH_MEASURE blob or its 32-byte measurement, or an attestation bundle") { $0 == LaunchMeasurement.size || $0 == 32 })
        let ivBytes = try iv.map { try GuestOwnerInput.fixed($0, option: "--iv", count: 16) } ?? LaunchSecretPacket.randomIV()
        let packet: LaunchSecretPacket
        do {
            packet = try LaunchSecretPacket(
                table: SecretTable(entries: entries), tek: tekBytes, tik: tikBytes, measurement: measureBytes, iv: ivBytes)
        } catch {
            throw CommandFailure(error.description)
        }
        let header64 = Data(packet.header).base64EncodedString()
        let payload64 = Data(packet.payload).base64EncodedString()
        if let outHeader, let outPayload {
            var files = AtomicFileSet()
            files.add(outHeader, raw ? packet.header : Array(header64.utf8))
            files.add(outPayload, raw ? packet.payload : Array(payload64.utf8))
            try files.commit()
            CLIFiles.stderr("wrote \(outHeader)")
            CLIFiles.stderr("wrote \(outPayload)")
        } else {
            print("header: \(header64)")
            print("payload: \(payload64)")
        }
    }

    /// The 48-byte blob of an attestation bundle file, nil when `path` is not one.
    private static func bundleMeasurement(_ path: String) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path), let bytes = try? GuestOwnerInput.read(path, option: "--measurement", .bundle),
              let bundle = try? AttestationBundle(json: bytes, name: path), let blob = bundle.measurementBytes,
              blob.count == LaunchMeasurement.size
        else { return nil }
        return blob
    }
}
