import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// `sevhost-bench report-verify FILE --certs DIR`: N per-report verifications (decode, ECDSA
/// signature, TCB/chip/key binding against the VCEK's extensions) against the chain parsed and
/// verified once, as a verifier service caching the chain runs them. The report must verify
/// in full first, or the rate would measure failures.
struct ReportVerifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-verify", abstract: "SNP attestation reports verified per second, the chain verified once.")

    @Argument(help: "The report (raw 1184 bytes or hex).")
    var file: String

    @Option(help: "Directory with the ARK, ASK and VCEK.")
    var certs: String

    @Option(help: "Verifications to run.")
    var count = 20000

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count: expected a positive count") }
    }

    func run() async throws {
        let verification = ReportVerification(
            reportBytes: try ReportVerification.readReport(URL(fileURLWithPath: file)), reportName: file,
            certificates: try CertificateDirectory(directory: URL(fileURLWithPath: certs)), product: nil,
            policy: ReportPolicy(), kds: nil)
        let outcome = try await verification.run(at: Date())
        guard outcome.checks.allPassed else {
            throw ValidationError("\(file): the report does not verify: \(outcome.checks.failures.map(\.name).joined(separator: ", "))")
        }
        let bytes = outcome.report.bytes
        let verifier = outcome.verifier
        var failures = 0
        let seconds = try await measure {
            for _ in 0..<count {
                let report = try AttestationReport(bytes: bytes)
                let checks = verifier.bindingChecks(report) + verifier.policyChecks(report, policy: ReportPolicy())
                if !checks.allPassed { failures += 1 }
            }
        }
        print(String(format: "verified %d reports in %.3f s: %.0f reports/s", count, seconds, Double(count) / seconds))
        if failures > 0 { throw ValidationError("\(failures) of \(count) verifications failed") }
    }
}
