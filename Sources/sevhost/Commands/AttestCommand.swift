import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import Orchestration
import SEVKit

/// `sevhost attest`: the scripted pre-attestation flow over QMP, and its two-party form.
struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Verify a paused SEV guest's launch measurement, inject secrets only if it matches, then continue.",
        discussion: """
            `sevhost attest --qmp SOCKET ...` runs the whole flow for a guest owner holding the TEK \
            and TIK; `--connect URI --domain NAME` runs the same flow through libvirt, on this \
            host or a remote one (measurement and firmware version from \
            virDomainGetLaunchSecurityInfo, the secret through virDomainSetLaunchSecurityState, \
            then virDomainResume). `attest export` and `attest inject` split it for a guest owner on another \
            machine: export the measurement and the platform's certificates, let the owner check \
            them and answer with `sevhost secret build`, inject the answer.
            """ + "\n\n" + CommandExamples.text("sevhost attest --qmp vm.qmp --tek vm_tek.bin --tik vm_tik.bin --expect guest.yaml --secret luks-key:disk.key"),
        subcommands: [AttestRunCommand.self, AttestExportCommand.self, AttestInjectCommand.self],
        defaultSubcommand: AttestRunCommand.self
    )
}

/// Options every attest subcommand shares: the guest's channel, a QEMU's QMP socket or a
/// libvirt domain (local or remote), and the one flow runs over either.
struct AttestConnection: ParsableArguments {
    @Option(help: "QEMU's QMP Unix socket.")
    var qmp: String?

    @Option(help: "A libvirt URI (qemu:///system, qemu+ssh://HOST/system, ...): reach the guest through libvirt.")
    var connect: String?

    @Option(help: "The libvirt domain, with --connect.")
    var domain: String?

    func validate() throws {
        switch (qmp, connect) {
        case (nil, nil): throw ValidationError("the guest's channel is needed: --qmp SOCKET, or --connect URI --domain NAME")
        case (.some, .some): throw ValidationError("--qmp and --connect name two channels; give one")
        case (nil, .some) where domain == nil: throw ValidationError("--connect needs --domain NAME")
        case (.some, nil) where domain != nil: throw ValidationError("--domain goes with --connect")
        default: break
        }
    }

    @Option(help: "Seconds to wait for the connection and each reply.")
    var timeout: Double = 10

    @Option(help: "Guest physical address for the secret (decimal or 0x hex); default: the firmware's secret area.")
    var gpa: String?

    func address() throws -> UInt64? {
        try gpa.map { try GuestOwnerInput.address($0, option: "--gpa") }
    }

    func connect() async throws(AttestationError) -> any GuestChannel {
        do {
            if let connect, let domain {
                return try await LibvirtGuestChannel.connect(uri: connect, domain: domain)
            }
            return try await QMPGuestChannel.connect(path: qmp ?? "", timeout: .seconds(timeout))
        } catch {
            throw .channel(error)
        }
    }
}

/// A failed attestation as one line, saying what became of the guest. Exit status 2 when the
/// launch did not verify (sevhost refused, or the firmware refused the secret), 1 for
/// everything else (bad input, QMP failures).
enum AttestReport {
    static func fail(_ error: AttestationError, onMismatch: MismatchAction = .keep) -> CommandFailure {
        var line = "attest: \(error)"
        if error.isRefusal {
            line += onMismatch == .quit ? "; nothing was injected, the guest was told to quit" : "; nothing was injected, the guest stays paused"
        }
        if case .injectionRefused = error { return CommandFailure(line, exitCode: 2) }
        return CommandFailure(line, exitCode: error.isRefusal ? 2 : 1)
    }
}

struct AttestRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The whole flow: check state, policy and measurement; inject; continue.",
        discussion: """
            --expect is the VM spec the guest was launched from (the launch digest is recomputed \
            from its firmware, kernel hashes and vCPUs, and the policy taken from it), or a launch \
            digest (64 hex digits or base64) with --policy. The firmware API version and build in \
            the HMAC are those `query-sev` reports. Refusals exit with status 2 and name the \
            reason: wrong state, policy mismatch, measurement mismatch, replayed measurement; other \
            failures (bad input, QMP) exit with status 1.

            Replay protection: every MNONCE whose measurement was accepted is appended to \
            --nonce-log (default $SEVHOST_STATE_DIR/mnonce.log, else \
            $XDG_STATE_HOME/sevhost/mnonce.log, else ~/.local/state/sevhost/mnonce.log) before the \
            secret is injected; a measurement with an MNONCE already in the log is refused.
            """ + "\n\n" + CommandExamples.text("sevhost attest run --qmp vm.qmp --tek vm_tek.bin --tik vm_tik.bin --expect guest.yaml --secret luks-key:disk.key")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var connection: AttestConnection

    @Option(help: "TEK: 16-byte file or base64.")
    var tek: String

    @Option(help: "TIK: 16-byte file or base64.")
    var tik: String

    @Option(help: "The VM spec the guest was launched from, or its launch digest.")
    var expect: String

    @Option(help: "The policy, with a digest given to --expect (decimal or 0x hex).")
    var policy: String?

    @Option(help: "GUID:FILE to inject (repeatable; GUID may be an alias such as luks-key).")
    var secret: [String] = []

    @Option(help: "On a refusal: keep (leave the guest paused) or quit.")
    var onMismatch: MismatchAction = .keep

    @Option(help: "The replay log of accepted MNONCEs.")
    var nonceLog: String?

    @Flag(help: "Print what was verified and injected as JSON (schema sevhost-attest-run/1).")
    var json = false

    func run() async throws {
        guard !secret.isEmpty else { throw CommandFailure("at least one --secret GUID:FILE is needed") }
        let entries = try SecretArguments.entries(secret)
        let tekBytes = try GuestOwnerInput.fixed(tek, option: "--tek", count: 16)
        let tikBytes = try GuestOwnerInput.fixed(tik, option: "--tik", count: 16)
        do {
            let expected: ExpectedLaunch
            if FileManager.default.fileExists(atPath: expect) {
                guard policy == nil else { throw CommandFailure("--policy goes with a launch digest; the spec \(expect) has its own policy") }
                expected = try await ExpectedLaunch.fromSpec(path: expect)
            } else {
                guard let policy else { throw CommandFailure("--expect \(expect.prefix(80)): with a launch digest, --policy is needed (or pass the VM spec file)") }
                expected = try ExpectedLaunch(digest: expect, policy: try GuestOwnerInput.uint32(policy, option: "--policy"))
            }
            let flow = PreAttestation(
                tek: tekBytes, tik: tikBytes, expected: expected, secrets: entries, onMismatch: onMismatch,
                nonceLog: MNONCELog(path: nonceLog ?? MNONCELog.defaultPath), guestPhysicalAddress: try connection.address())
            let client = try await connection.connect()
            let outcome: AttestationOutcome
            do {
                outcome = try await flow.run(on: client)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
            if json {
                print(JSONOutput.render(JSONOutput.schema("attest-run"), [
                    ("measurement", .string(Hex.encode(outcome.measurement.measurement))), ("verified", .bool(true)),
                    ("mnonce", .string(Hex.encode(outcome.measurement.mnonce))),
                    ("api-major", .uint(UInt64(outcome.apiMajor))), ("api-minor", .uint(UInt64(outcome.apiMinor))),
                    ("build-id", .uint(UInt64(outcome.buildID))), ("policy", .string("0x" + String(outcome.policy, radix: 16))),
                    ("secrets", .uint(UInt64(entries.count))), ("injected-bytes", .uint(UInt64(outcome.injectedBytes))),
                ]), terminator: "")
            } else {
                print("measurement: \(Hex.encode(outcome.measurement.measurement)) (verified)")
                print("mnonce: \(Hex.encode(outcome.measurement.mnonce))")
                print("firmware: API \(outcome.apiMajor).\(outcome.apiMinor) build \(outcome.buildID), policy 0x\(String(outcome.policy, radix: 16))")
                print("injected: \(entries.count) secret(s), \(outcome.injectedBytes) bytes; guest continued")
            }
        } catch let error as AttestationError {
            throw AttestReport.fail(error, onMismatch: onMismatch)
        }
    }
}

struct AttestExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the measurement, firmware version, policy and platform certificates as a JSON bundle.",
        discussion: CommandExamples.text("sevhost attest export --qmp vm.qmp --out bundle.json")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var connection: AttestConnection

    @Option(help: "The bundle file to write.")
    var out: String

    func run() async throws {
        do {
            let client = try await connection.connect()
            let bundle: AttestationBundle
            do {
                bundle = try await AttestationBundle.collect(from: client)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
            var files = AtomicFileSet()
            files.add(out, bundle.json)
            try files.commit()
            CLIFiles.stderr("wrote \(out)")
        } catch let error as AttestationError {
            throw AttestReport.fail(error)
        }
    }
}

struct AttestInjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Inject a guest owner's answer (`sevhost secret build` output), then continue the guest.",
        discussion: CommandExamples.text(
            "sevhost attest inject --qmp vm.qmp answer.txt --bundle bundle.json",
            "sevhost attest inject --qmp vm.qmp --header secret_header.bin --payload secret_payload.bin")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var connection: AttestConnection

    @Argument(help: "The answer file (- for standard input): `header: B64` and `payload: B64` lines, or JSON with header and payload.")
    var answer: String?

    @Option(help: "The LAUNCH_SECRET header file instead of an answer (raw as `sevctl secret build` writes it, base64 or hex).")
    var header: String?

    @Option(help: "The LAUNCH_SECRET payload file, with --header.")
    var payload: String?

    @Option(help: "The bundle the answer was made for: refuse when the guest's measurement changed since.")
    var bundle: String?

    func validate() throws {
        guard (header == nil) == (payload == nil) else { throw ValidationError("--header and --payload go together") }
        guard (answer == nil) != (header == nil) else {
            throw ValidationError(answer == nil ? "the answer is needed: an ANSWER file, or --header and --payload" : "give an ANSWER file or --header and --payload, not both")
        }
    }

    func run() async throws {
        let parsedAnswer: AttestationAnswer?
        if let header, let payload {
            parsedAnswer = AttestationAnswer(
                header: try GuestOwnerInput.blob(header, option: "--header", LaunchSecretPacket.headerSizes),
                payload: try GuestOwnerInput.blob(payload, option: "--payload", LaunchSecretPacket.payloadSizes, limit: .bundle))
        } else {
            parsedAnswer = nil
        }
        let answer = answer ?? ""
        let answerBytes = parsedAnswer == nil ? try GuestOwnerInput.readOrStandardInput(answer, option: "ANSWER", .bundle) : []
        let bundleValue = try bundle.map { path in
            try AttestationBundle(json: try GuestOwnerInput.read(path, option: "--bundle", .bundle), name: path)
        }
        let address = try connection.address()
        do {
            let parsed = try parsedAnswer ?? AttestationAnswer(text: answerBytes, name: answer)
            let client = try await connection.connect()
            do {
                try await parsed.inject(into: client, bundle: bundleValue, guestPhysicalAddress: address)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
            print("injected \(parsed.payload.count)-byte secret; guest continued")
        } catch let error as AttestationError {
            throw AttestReport.fail(error)
        }
    }
}

extension MismatchAction: ExpressibleByArgument {}

/// `--secret GUID:FILE` values, shared with `secret build`.
enum SecretArguments {
    static func entries(_ values: [String]) throws -> [SecretTable.Entry] {
        var entries: [SecretTable.Entry] = []
        for value in values {
            guard let colon = value.firstIndex(of: ":") else {
                throw CommandFailure("--secret \(value): expected GUID:FILE")
            }
            let guidText = String(value[..<colon])
            let path = String(value[value.index(after: colon)...])
            guard let guid = WellKnownSecretGUID.parse(guidText) else {
                throw CommandFailure(
                    "--secret \(guidText): not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) nor a known alias (\(WellKnownSecretGUID.aliases.map(\.name).joined(separator: ", ")))")
            }
            entries.append(SecretTable.Entry(guid: guid, data: try GuestOwnerInput.read(path, option: "--secret \(guidText)", .secret)))
        }
        return entries
    }
}
