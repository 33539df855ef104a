import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import Orchestration
import SEVKit

/// `sevhost measurement build|verify`: the SEV / SEV-ES LAUNCH_MEASURE HMAC.
struct MeasurementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measurement",
        abstract: "Compute or check a SEV/SEV-ES launch measurement (LAUNCH_MEASURE).",
        discussion: CommandExamples.text("sevhost measurement verify --bundle bundle.json --expect guest.yaml --tik vm_tik.bin"),
        subcommands: [MeasurementBuildCommand.self, MeasurementVerifyCommand.self]
    )
}

/// The inputs both subcommands share: what the firmware mixes into the HMAC. `verify` can
/// take the platform's values from an attestation bundle and the launch digest from a VM spec
/// instead, so they are optional here and each subcommand says which it needs.
struct MeasurementInputs: ParsableArguments {
    @Option(help: "SEV API major version of the platform (decimal or 0x hex).")
    var apiMajor: String?

    @Option(help: "SEV API minor version.")
    var apiMinor: String?

    @Option(help: "Firmware build id.")
    var buildId: String?

    @Option(help: "Guest policy (decimal or 0x hex).")
    var policy: String?

    @Option(help: "TIK: 16-byte file or base64.")
    var tik: String

    @Option(help: "Launch digest: 64 hex digits or base64 of 32 bytes.")
    var launchDigest: String?

    /// The values the HMAC covers besides the TIK and the MNONCE.
    struct Launch {
        var apiMajor: UInt8
        var apiMinor: UInt8
        var buildID: UInt8
        var policy: UInt32
        var launchDigest: [UInt8]
    }

    /// The platform's firmware version and build from the flags, each required.
    func platformFromFlags() throws -> (apiMajor: UInt8, apiMinor: UInt8, buildID: UInt8) {
        (try GuestOwnerInput.uint8(try Self.required(apiMajor, "--api-major"), option: "--api-major"),
         try GuestOwnerInput.uint8(try Self.required(apiMinor, "--api-minor"), option: "--api-minor"),
         try GuestOwnerInput.uint8(try Self.required(buildId, "--build-id"), option: "--build-id"))
    }

    /// Every value from the flags (`measurement build`).
    func fromFlags() throws -> Launch {
        let platform = try platformFromFlags()
        return Launch(
            apiMajor: platform.apiMajor, apiMinor: platform.apiMinor, buildID: platform.buildID,
            policy: try GuestOwnerInput.uint32(try Self.required(policy, "--policy"), option: "--policy"),
            launchDigest: try Self.digest(try Self.required(launchDigest, "--launch-digest")))
    }

    static func required(_ value: String?, _ option: String) throws -> String {
        guard let value else { throw CommandFailure("missing \(option)") }
        return value
    }

    static func digest(_ text: String) throws -> [UInt8] {
        if let bytes = try? BlobText.decode(text: text, .exactly(32)) { return bytes }
        throw CommandFailure("--launch-digest: expected 64 hex digits or base64 of 32 bytes")
    }

    func expected(_ launch: Launch, mnonce: [UInt8]) throws -> LaunchMeasurement {
        LaunchMeasurement.expected(
            tik: try GuestOwnerInput.fixed(tik, option: "--tik", count: 16),
            apiMajor: launch.apiMajor, apiMinor: launch.apiMinor, buildID: launch.buildID,
            policy: launch.policy, launchDigest: launch.launchDigest, mnonce: mnonce)
    }
}

/// Prints base64(measurement ‖ mnonce), as `sevctl measurement build` does.
struct MeasurementBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compute the expected measurement ‖ MNONCE (base64).",
        discussion: "The MNONCE comes from --nonce, or from the blob QEMU's query-sev-launch-measure returned (--launch-measure-blob)." + "\n\n" + CommandExamples.text("sevhost measurement build --api-major 1 --api-minor 55 --build-id 21 --policy 0x1 --tik vm_tik.bin --launch-digest DIGEST --nonce NONCE")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var inputs: MeasurementInputs

    @Option(help: "MNONCE: 16-byte file or base64.")
    var nonce: String?

    @Option(name: [.customLong("launch-measure-blob"), .customLong("measurement")], help: "48-byte LAUNCH_MEASURE blob (file or base64) to take the MNONCE from.")
    var launchMeasureBlob: String?

    @Option(help: "Also write the 48 raw bytes to this file.")
    var outfile: String?

    @Flag(help: "Print the blob as JSON (schema sevhost-measurement-build/1).")
    var json = false

    func run() async throws {
        let mnonce: [UInt8]
        if let nonce {
            mnonce = try GuestOwnerInput.fixed(nonce, option: "--nonce", count: 16)
        } else if let launchMeasureBlob {
            mnonce = Array(try GuestOwnerInput.fixed(launchMeasureBlob, option: "--launch-measure-blob", count: 48)[32...])
        } else {
            throw CommandFailure("one of --nonce or --launch-measure-blob is needed")
        }
        let result = try inputs.expected(try inputs.fromFlags(), mnonce: mnonce)
        if let outfile {
            var files = AtomicFileSet()
            files.add(outfile, result.encoded)
            try files.commit()
        }
        if json {
            print(JSONOutput.render(JSONOutput.schema("measurement-build"), [
                ("blob", .string(Data(result.encoded).base64EncodedString())), ("measurement", .string(Hex.encode(result.measurement))),
                ("mnonce", .string(Hex.encode(mnonce))),
            ]), terminator: "")
        } else {
            print(Data(result.encoded).base64EncodedString())
        }
    }
}

/// Exits 0 only when the firmware's measurement equals the expected one.
struct MeasurementVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a LAUNCH_MEASURE blob against the expected launch (exit 0 only on a match).",
        discussion: """
            The platform's side (measurement, API version, build id, policy) comes from the flags or \
            from an attestation bundle (--bundle: `sevhost attest export`, `sevhost vm measurement`); \
            the launch digest from --launch-digest or recomputed from the VM spec the guest was \
            launched from (--expect: firmware, kernel hashes, vCPUs and the VM type of its VMSAs), \
            whose policy must then be the launch's.
            """ + "\n\n" + CommandExamples.text("sevhost measurement verify --bundle bundle.json --expect guest.yaml --tik vm_tik.bin", "sevhost measurement verify --measurement measure.hex --api-major 1 --api-minor 55 --build-id 21 --policy 0x1 --launch-digest DIGEST --tik vm_tik.bin")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var inputs: MeasurementInputs

    @Option(name: [.customLong("measurement"), .customLong("launch-measure-blob")], help: "48-byte blob from query-sev-launch-measure (file or base64).")
    var measurement: String?

    @Option(help: ArgumentHelp("An attestation bundle: the measurement, API version, build id and policy it holds.", valueName: "FILE"))
    var bundle: String?

    @Option(help: ArgumentHelp("The VM spec the guest was launched from: its launch digest and policy.", valueName: "SPEC"))
    var expect: String?

    @Flag(help: "Print the match as JSON (schema sevhost-measurement-verify/1).")
    var json = false

    func validate() throws {
        if bundle != nil {
            let given = [("--measurement", measurement), ("--api-major", inputs.apiMajor), ("--api-minor", inputs.apiMinor), ("--build-id", inputs.buildId)]
            if let (flag, _) = given.first(where: { $0.1 != nil }) { throw ValidationError("\(flag) comes from --bundle; give one or the other") }
        } else if measurement == nil {
            throw ValidationError("missing --measurement (or --bundle)")
        }
        if expect != nil, inputs.launchDigest != nil { throw ValidationError("--launch-digest comes from --expect; give one or the other") }
    }

    func run() async throws {
        let blob: [UInt8]
        var launch: MeasurementInputs.Launch
        var launchPolicy = try inputs.policy.map { try GuestOwnerInput.uint32($0, option: "--policy") }
        if let bundle {
            let parsed = try GuestOwnerInput.bundle(bundle)
            guard let bytes = parsed.measurementBytes, bytes.count == LaunchMeasurement.size else {
                throw CommandFailure("--bundle \(bundle): its measurement is not 48 bytes of base64")
            }
            blob = bytes
            launchPolicy = try launchPolicy ?? GuestOwnerInput.uint32(parsed.policy, option: "--bundle \(bundle): policy")
            launch = .init(apiMajor: parsed.apiMajor, apiMinor: parsed.apiMinor, buildID: parsed.buildID, policy: 0, launchDigest: [])
        } else {
            blob = try GuestOwnerInput.fixed(measurement ?? "", option: "--measurement", count: LaunchMeasurement.size)
            let platform = try inputs.platformFromFlags()
            launch = .init(apiMajor: platform.apiMajor, apiMinor: platform.apiMinor, buildID: platform.buildID, policy: 0, launchDigest: [])
        }
        if let expect {
            let expected: ExpectedLaunch
            do {
                expected = try await ExpectedLaunch.fromSpec(path: expect)
            } catch {
                throw CommandFailure(error.description)
            }
            if let launchPolicy, launchPolicy != expected.policy {
                throw CommandFailure(
                    "policy mismatch: the guest was launched with policy 0x\(String(launchPolicy, radix: 16)), \(expect) has 0x\(String(expected.policy, radix: 16))")
            }
            launch.policy = expected.policy
            launch.launchDigest = expected.launchDigest
        } else {
            guard let launchPolicy else { throw CommandFailure("missing --policy (or --bundle, or --expect SPEC)") }
            launch.policy = launchPolicy
            launch.launchDigest = try MeasurementInputs.digest(try MeasurementInputs.required(inputs.launchDigest, "--launch-digest"))
        }
        let reported = try LaunchMeasurement(blob: blob)
        let expected = try inputs.expected(launch, mnonce: reported.mnonce)
        guard expected.matches(reported) else {
            throw CommandFailure(
                "measurement mismatch: the firmware reported \(Hex.encode(reported.measurement)), the expected launch gives \(Hex.encode(expected.measurement))")
        }
        if json {
            print(JSONOutput.render(JSONOutput.schema("measurement-verify"), [
                ("matches", .bool(true)), ("measurement", .string(Hex.encode(reported.measurement))),
                ("mnonce", .string(Hex.encode(reported.mnonce))),
            ]), terminator: "")
        } else {
            print("measurement matches: \(Hex.encode(reported.measurement))")
        }
    }
}
