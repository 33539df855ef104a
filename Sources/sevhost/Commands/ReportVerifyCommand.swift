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
            given). Exit status 0 only when all pass.
            """ + "\n\n" + CommandExamples.text("sevhost report verify report.bin --certs certs --min-tcb bl=3,tee=0,snp=8,ucode=115"))

    @Argument(help: ArgumentHelp("The report (raw 1184 bytes or hex).", valueName: "FILE"))
    var file: String

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
        policy.vmpl = vmpl
        policy.chipID = try chipID.map { try ByteOption.parse($0, option: "--chip-id", lengths: [64, 8]) }
        policy.product = product
        return policy
    }

    func run() async throws {
        let date = try VerificationTime.parse(at)
        let bytes = try ReportVerification.readReport(URL(fileURLWithPath: file))
        let layout = (product ?? (try? AttestationReport(bytes: bytes))?.inferredProduct).map { TCBVersion.Layout(product: $0) } ?? .milanGenoa
        let policy = try makePolicy(layout: layout)
        let directory = try CertificateDirectory(directory: URL(fileURLWithPath: certs))
        let verification = ReportVerification(
            reportBytes: bytes, reportName: file, certificates: directory, product: product, policy: policy,
            kds: fetch ? kds.client() : nil)
        let outcome: ReportVerification.Outcome
        do { outcome = try await verification.run(at: date) } catch let error as KDSError {
            throw CommandFailure(error.message)
        }

        let ok = outcome.checks.allPassed
        if json {
            let checks = OrderedJSON.array(outcome.checks.map {
                .object([("name", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))])
            })
            print(OrderedJSON.object([
                ("report", .string(file)), ("valid", .bool(ok)),
                ("failed", .array(outcome.checks.failures.map { .string($0.name) })), ("checks", checks),
            ]).rendered())
        } else {
            for check in outcome.checks {
                print("\(check.passed ? "PASS" : "FAIL") \(check.name): \(check.detail)")
            }
            if ok {
                print("report \(file): VALID (\(outcome.checks.count) checks passed)")
            } else {
                print("report \(file): INVALID: \(outcome.checks.failures.map(\.name).joined(separator: ", "))")
            }
        }
        if !ok { throw ExitCode(1) }
    }
}
