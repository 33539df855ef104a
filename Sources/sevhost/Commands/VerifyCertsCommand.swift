import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// `sevhost verify certs DIR [--json]`: the SNP chain ARK → ASK/ASVK → VCEK/VLEK found in a
/// directory. Unlike snphost's `verify certs`, the exit status is 1 on any failed link.
struct VerifyCertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Verify the SNP certificate chain (ARK, ASK or ASVK, VCEK or VLEK, CRL) in a directory.",
        discussion: CommandExamples.text("sevhost verify certs certs --json"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: ArgumentHelp("Directory holding the certificates (PEM or DER, any names).", valueName: "DIR"))
    var directory: String

    @Option(help: ArgumentHelp("Verify as of this time (ISO 8601) instead of now.", valueName: "TIME"))
    var at: String?

    @Flag(help: "Print the chain as JSON (schema sevhost-verify-certs/1).")
    var json = false

    func run() throws {
        let date = try VerificationTime.parse(at)
        let dir = try CertificateDirectory(directory: URL(fileURLWithPath: directory))
        let chain = try dir.chain()
        let checks = chain.verify(at: date, crl: dir.crl)
        let certs = [chain.ark, chain.intermediate] + (chain.endorsementKey.map { [$0] } ?? [])
        let ok = checks.allPassed
        if json {
            print(JSONOutput.render(JSONOutput.schema("verify-certs"), [
                ("directory", .string(directory)),
                ("valid", .bool(ok)),
                ("product", chain.product.map { .string($0.rawValue) } ?? .null),
                ("certificates", .array(certs.map { describe($0, source: dir.sources[$0]) })),
                ("failed", .array(checks.failures.map { .string($0.name) })),
                ("checks", .array(checks.map {
                    .object([("name", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))])
                })),
            ]), terminator: "")
        } else {
            for cert in certs {
                // The common name and the extensions are the certificate's words: one line each.
                print("\(TerminalText.line(cert.commonName ?? "?")) serial \(cert.serialHex) (\(dir.sources[cert] ?? "-"))")
                if let ext = try? EndorsementKeyExtensions(cert), ext.productName != nil {
                    print("  \(TerminalText.line(extensionSummary(ext)))")
                }
            }
            for check in checks {
                print("\(check.passed ? "PASS" : "FAIL") \(check.name): \(check.detail)")
            }
            print(ok ? "chain: VALID" : "chain: INVALID: \(checks.failures.map(\.name).joined(separator: ", "))")
        }
        if !ok { throw ExitCode(1) }
    }

    private func extensionSummary(_ e: EndorsementKeyExtensions) -> String {
        var parts: [String] = []
        if let v = e.structVersion { parts.append("structVersion=\(v)") }
        if let p = e.productName { parts.append("productName=\(p)") }
        if let v = e.fmcSPL { parts.append("fmcSPL=\(v)") }
        if let v = e.bootloaderSPL { parts.append("blSPL=\(v)") }
        if let v = e.teeSPL { parts.append("teeSPL=\(v)") }
        if let v = e.snpSPL { parts.append("snpSPL=\(v)") }
        if let v = e.microcodeSPL { parts.append("ucodeSPL=\(v)") }
        if let h = e.hardwareID { parts.append("hwID=\(Hex.encode(h))") }
        if let c = e.cspID { parts.append("cspID=\(c)") }
        return parts.joined(separator: " ")
    }

    private func describe(_ cert: SNPCertificate, source: String?) -> OrderedJSON {
        var m: [(String, OrderedJSON)] = [
            ("common_name", cert.commonName.map { .string($0) } ?? .null),
            ("file", source.map { .string($0) } ?? .null),
            ("serial", .string(cert.serialHex)),
            ("subject", .string("\(cert.subject)")),
            ("issuer", .string("\(cert.issuer)")),
            ("not_before", .string(ISO8601DateFormatter().string(from: cert.notBefore))),
            ("not_after", .string(ISO8601DateFormatter().string(from: cert.notAfter))),
            ("signature_algorithm", .string("\(cert.signatureAlgorithm)")),
            ("public_key_sha256", .string(Hex.encode(cert.publicKeyFingerprint))),
        ]
        if let e = try? EndorsementKeyExtensions(cert), e.productName != nil {
            var x: [(String, OrderedJSON)] = []
            if let v = e.structVersion { x.append(("structVersion", .int(Int64(v)))) }
            if let v = e.productName { x.append(("productName", .string(v))) }
            if let v = e.fmcSPL { x.append(("fmcSPL", .uint(UInt64(v)))) }
            if let v = e.bootloaderSPL { x.append(("blSPL", .uint(UInt64(v)))) }
            if let v = e.teeSPL { x.append(("teeSPL", .uint(UInt64(v)))) }
            if let v = e.snpSPL { x.append(("snpSPL", .uint(UInt64(v)))) }
            if let v = e.microcodeSPL { x.append(("ucodeSPL", .uint(UInt64(v)))) }
            if let v = e.hardwareID { x.append(("hwID", .string(Hex.encode(v)))) }
            if let v = e.cspID { x.append(("cspID", .string(v))) }
            m.append(("amd_extensions", .object(x)))
        }
        return .object(m)
    }
}
