import ArgumentParser
import AtomicFiles
import Foundation
import SEVKit

/// `sevhost measurement build|verify`: the SEV / SEV-ES LAUNCH_MEASURE HMAC.
struct MeasurementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measurement",
        abstract: "Compute or check a SEV/SEV-ES launch measurement (LAUNCH_MEASURE).",
        subcommands: [MeasurementBuildCommand.self, MeasurementVerifyCommand.self]
    )
}

/// The inputs both subcommands share: what the firmware mixes into the HMAC.
struct MeasurementInputs: ParsableArguments {
    @Option(help: "SEV API major version of the platform (decimal or 0x hex).")
    var apiMajor: String

    @Option(help: "SEV API minor version.")
    var apiMinor: String

    @Option(help: "Firmware build id.")
    var buildId: String

    @Option(help: "Guest policy (decimal or 0x hex).")
    var policy: String

    @Option(help: "TIK: 16-byte file or base64.")
    var tik: String

    @Option(help: "Launch digest: 64 hex digits or base64 of 32 bytes.")
    var launchDigest: String

    func launchDigestBytes() throws -> [UInt8] {
        if launchDigest.count == 64, let bytes = Hex.decode(launchDigest) { return bytes }
        if let bytes = GuestOwnerInput.base64(launchDigest), bytes.count == 32 { return bytes }
        throw CommandFailure("--launch-digest: expected 64 hex digits or base64 of 32 bytes")
    }

    func expected(mnonce: [UInt8]) throws -> LaunchMeasurement {
        LaunchMeasurement.expected(
            tik: try GuestOwnerInput.fixed(tik, option: "--tik", count: 16),
            apiMajor: try GuestOwnerInput.uint8(apiMajor, option: "--api-major"),
            apiMinor: try GuestOwnerInput.uint8(apiMinor, option: "--api-minor"),
            buildID: try GuestOwnerInput.uint8(buildId, option: "--build-id"),
            policy: try GuestOwnerInput.uint32(policy, option: "--policy"),
            launchDigest: try launchDigestBytes(),
            mnonce: mnonce)
    }
}

/// Prints base64(measurement ‖ mnonce), as `sevctl measurement build` does.
struct MeasurementBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compute the expected measurement ‖ MNONCE (base64).",
        discussion: "The MNONCE comes from --nonce, or from the blob QEMU's query-sev-launch-measure returned (--launch-measure-blob)."
    )

    @OptionGroup var inputs: MeasurementInputs

    @Option(help: "MNONCE: 16-byte file or base64.")
    var nonce: String?

    @Option(name: [.customLong("launch-measure-blob"), .customLong("measurement")], help: "48-byte LAUNCH_MEASURE blob (file or base64) to take the MNONCE from.")
    var launchMeasureBlob: String?

    @Option(help: "Also write the 48 raw bytes to this file.")
    var outfile: String?

    func run() async throws {
        let mnonce: [UInt8]
        if let nonce {
            mnonce = try GuestOwnerInput.fixed(nonce, option: "--nonce", count: 16)
        } else if let launchMeasureBlob {
            mnonce = Array(try GuestOwnerInput.fixed(launchMeasureBlob, option: "--launch-measure-blob", count: 48)[32...])
        } else {
            throw CommandFailure("one of --nonce or --launch-measure-blob is needed")
        }
        let result = try inputs.expected(mnonce: mnonce)
        if let outfile {
            var files = AtomicFileSet()
            files.add(outfile, result.encoded)
            try files.commit()
        }
        print(Data(result.encoded).base64EncodedString())
    }
}

/// Exits 0 only when the firmware's measurement equals the expected one.
struct MeasurementVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a LAUNCH_MEASURE blob against the expected launch (exit 0 only on a match)."
    )

    @OptionGroup var inputs: MeasurementInputs

    @Option(name: [.customLong("measurement"), .customLong("launch-measure-blob")], help: "48-byte blob from query-sev-launch-measure (file or base64).")
    var measurement: String

    func run() async throws {
        let blob = try GuestOwnerInput.fixed(measurement, option: "--measurement", count: LaunchMeasurement.size)
        let reported = try LaunchMeasurement(blob: blob)
        let expected = try inputs.expected(mnonce: reported.mnonce)
        guard expected.matches(reported) else {
            throw CommandFailure(
                "measurement mismatch: the firmware reported \(Hex.encode(reported.measurement)), the expected launch gives \(Hex.encode(expected.measurement))")
        }
        print("measurement matches: \(Hex.encode(reported.measurement))")
    }
}
