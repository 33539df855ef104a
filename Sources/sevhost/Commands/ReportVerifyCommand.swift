import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// `sevhost report verify FILE --certs DIR`: the relying party's check. Exit 0 only when every
/// check holds; each failure is printed by name.
struct ReportVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an SNP attestation report: chain to AMD's root, signature, TCB binding and policy.",
        discussion: """
            Checks are named (ark-pinned, ask-signed-by-ark, vcek-signed-by-ask, *-validity, report-signature, \
            signing-key, tcb, chip-binding, product, expected-product with --product, and each policy option \
            given). With --expect SPEC, the measurement, policy, HOST_DATA, ID and author key digests, family \
            and image id, guest SVN and VMPL are recomputed from the VM spec (its firmware, kernel and keys; \
            public keys suffice) once, and each report is checked against them. Exit status 0 only when every \
            check of every report passes.
            """ + "\n\n" + CommandExamples.text("sevhost report verify report.bin --certs certs --min-tcb bl=3,tee=0,snp=8,ucode=115", "sevhost report verify report.bin --certs certs --expect guest.yaml"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: ArgumentHelp("The reports (raw 1184 bytes or hex).", valueName: "FILE"))
    var files: [String]

    @Option(help: ArgumentHelp(
        "The VM spec the guest was launched from: every report must show what it recomputes.", valueName: "SPEC"))
    var expect: String?

    @Option(name: .customLong("test-root"), help: ArgumentHelp(
        "Also trust this ARK (PEM or DER), for testing against a simulated platform; never AMD's. Repeatable.",
        valueName: "FILE"))
    var testRoots: [String] = []

    @Option(help: ArgumentHelp("Directory with the ARK, ASK/ASVK, VCEK/VLEK (PEM or DER, any names) and optionally a CRL.", valueName: "DIR"))
    var certs: String

    @Flag(help: "Fetch certificates missing from --certs from AMD KDS (or the --kds-url mirror).")
    var fetch = false

    @OptionGroup(title: "KDS (with --fetch)")
    var kds: KDSOptions

    @Option(help: "Product the report must come from (Milan, Genoa, Bergamo, Siena, Turin): checked against the VCEK's and the root's, and used to read a version-2 report, which cannot tell.")
    var product: AMDProduct?

    @Option(help: ArgumentHelp("Expected MEASUREMENT (48 bytes, hex or base64).", valueName: "HEX"))
    var measurement: String?

    @Option(name: .customLong("report-data"), help: ArgumentHelp("Expected REPORT_DATA (64 bytes).", valueName: "HEX"))
    var reportData: String?

    @Option(name: .customLong("host-data"), help: ArgumentHelp("Expected HOST_DATA (32 bytes).", valueName: "HEX"))
    var hostData: String?

    @Option(name: .customLong("id-key-digest"), help: ArgumentHelp("Expected ID_KEY_DIGEST (48 bytes).", valueName: "HEX"))
    var idKeyDigest: String?

    @Option(name: .customLong("author-key-digest"), help: ArgumentHelp("Expected AUTHOR_KEY_DIGEST (48 bytes).", valueName: "HEX"))
    var authorKeyDigest: String?

    @Option(name: .customLong("min-tcb"), help: ArgumentHelp(
        "Minimum REPORTED_TCB, each SPL compared: 0x<raw> or bl=N,tee=N,snp=N,ucode=N[,fmc=N].", valueName: "TCB"))
    var minTCB: String?

    @Flag(name: .customLong("no-debug"), help: "Refuse a guest policy that allows debugging (the default).")
    var noDebug = false

    @Flag(name: .customLong("allow-debug"), help: "Accept a guest policy that allows debugging.")
    var allowDebug = false

    @Flag(name: .customLong("no-migration-agent"), help: "Refuse a guest policy that allows a migration agent.")
    var noMigrationAgent = false

    @Option(help: "Expected VMPL of the report.")
    var vmpl: UInt32?

    @Option(name: .customLong("chip-id"), help: ArgumentHelp("Expected CHIP_ID (64 bytes, or the 8 of a Turin chip).", valueName: "HEX"))
    var chipID: String?

    @Option(help: ArgumentHelp("Verify as of this time (ISO 8601) instead of now.", valueName: "TIME"))
    var at: String?

    @Flag(help: "JSON output.")
    var json = false

    func validate() throws {
        if noDebug && allowDebug { throw ValidationError("--no-debug and --allow-debug contradict each other") }
        if files.isEmpty { throw ValidationError("missing a report FILE") }
        if expect != nil {
            let overlapping = [("--measurement", measurement), ("--host-data", hostData), ("--id-key-digest", idKeyDigest),
                               ("--author-key-digest", authorKeyDigest)]
            if let (option, _) = overlapping.first(where: { $0.1 != nil }) {
                throw ValidationError("\(option) and --expect: the spec gives that value; use one of them")
            }
        }
    }

    func makePolicy(layout: TCBVersion.Layout) throws -> ReportPolicy {
        var policy = ReportPolicy()
        policy.measurement = try measurement.map { try ByteOption.parse($0, option: "--measurement", lengths: [48]) }
        policy.reportData = try reportData.map { try ByteOption.parse($0, option: "--report-data", lengths: [64]) }
        policy.hostData = try hostData.map { try ByteOption.parse($0, option: "--host-data", lengths: [32]) }
        policy.idKeyDigest = try idKeyDigest.map { try ByteOption.parse($0, option: "--id-key-digest", lengths: [48]) }
        policy.authorKeyDigest = try authorKeyDigest.map { try ByteOption.parse($0, option: "--author-key-digest", lengths: [48]) }
        policy.minimumTCB = try minTCB.map { try TCBOption.parse($0, option: "--min-tcb", layout: layout) }
        policy.forbidDebug = !allowDebug
        policy.forbidMigrationAgent = noMigrationAgent
        // With --expect the VMPL is part of the expectation, checked once.
        policy.vmpl = expect == nil ? vmpl : nil
        policy.chipID = try chipID.map { try ByteOption.parse($0, option: "--chip-id", lengths: [64, 8]) }
        policy.product = product
        return policy
    }

    func run() async throws {
        let date = try VerificationTime.parse(at)
        let roots = try testRoots.flatMap { path in
            do {
                return try SNPCertificate.decodeAll(try GuestOwnerInput.read(path, option: "--test-root", .certificate))
            } catch let error as SNPCertificateError {
                throw CommandFailure("\(path): \(error.message)")
            }
        }
        // Read once for every report: the spec's files, keys and launch digest.
        var expectation: SNPGuestExpectation?
        if let expect {
            do { expectation = try SNPSpecExpectation.load(specPath: expect, vmpl: vmpl ?? 0) } catch {
                throw CommandFailure(error.message)
            }
        }
        let directory = try CertificateDirectory(directory: URL(fileURLWithPath: certs))
        var results: [(file: String, checks: [VerificationCheck])] = []
        for file in files {
            let bytes = try ReportVerification.readReport(URL(fileURLWithPath: file))
            let layout = (product ?? (try? AttestationReport(bytes: bytes))?.inferredProduct).map { TCBVersion.Layout(product: $0) } ?? .milanGenoa
            let policy = try makePolicy(layout: layout)
            var verification = ReportVerification(
                reportBytes: bytes, reportName: file, certificates: directory, product: product, policy: policy,
                kds: fetch ? kds.client() : nil)
            verification.testRoots = roots
            let outcome: ReportVerification.Outcome
            do {
                outcome = try await TerminalProgress.around("verifying \(file)\(fetch ? " (fetching from KDS)" : "")") {
                    try await verification.run(at: date)
                }
            } catch let error as KDSError {
                throw CommandFailure(error.message)
            }
            results.append((file, outcome.checks + (expectation?.checks(outcome.report) ?? [])))
        }
        print(json ? Self.json(results) : Self.text(results), terminator: "")
        if !results.allSatisfy({ $0.checks.allPassed }) { throw ExitCode(1) }
    }

    /// One object per report under `reports`, in the order given.
    static func json(_ results: [(file: String, checks: [VerificationCheck])]) -> String {
        let objects = results.map { result in
            OrderedJSON.object([
                ("report", .string(result.file)), ("valid", .bool(result.checks.allPassed)),
                ("failed", .array(result.checks.failures.map { .string($0.name) })),
                ("checks", .array(result.checks.map {
                    .object([("name", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))])
                })),
            ])
        }
        return JSONOutput.render(JSONOutput.schema("report-verify"), [
            ("valid", .bool(results.allSatisfy { $0.checks.allPassed })), ("reports", .array(objects)),
        ])
    }

    /// Every check as `PASS name: detail` / `FAIL …`, then the verdict of each report.
    static func text(_ results: [(file: String, checks: [VerificationCheck])]) -> String {
        var out = ""
        for (file, checks) in results {
            for check in checks {
                out += "\(check.passed ? "PASS" : "FAIL") \(check.name): \(check.detail)\n"
            }
            if checks.allPassed {
                out += "report \(file): VALID (\(checks.count) checks passed)\n"
            } else {
                out += "report \(file): INVALID: \(checks.failures.map(\.name).joined(separator: ", "))\n"
            }
        }
        return out
    }
}
