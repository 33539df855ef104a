import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// Which VCEK: the chip and REPORTED_TCB of a report, or product, chip id and TCB given by hand.
struct VCEKSource: ParsableArguments {
    @Option(help: ArgumentHelp("Attestation report to take the chip id and REPORTED_TCB from.", valueName: "FILE"))
    var report: String?

    @Option(help: "Product (Milan, Genoa, Bergamo, Siena, Turin); with --report, needed only when neither the report (version 3+) nor --certs names it.")
    var product: AMDProduct?

    @Option(help: ArgumentHelp("With --report: a certificate directory (ARK, ASK or VCEK) whose product is the report's.", valueName: "DIR"))
    var certs: String?

    @Option(name: .customLong("chip-id"), help: ArgumentHelp("Chip id, hex (64 bytes; 8 suffice for Turin).", valueName: "HEX"))
    var chipID: String?

    @Option(help: ArgumentHelp("TCB: 0x<raw> or bl=N,tee=N,snp=N,ucode=N[,fmc=N].", valueName: "TCB"))
    var tcb: String?

    func validate() throws {
        if report == nil {
            guard product != nil, chipID != nil, tcb != nil else {
                throw ValidationError("give --report FILE, or all of --product, --chip-id and --tcb")
            }
        } else if chipID != nil || tcb != nil {
            throw ValidationError("--chip-id/--tcb cannot be combined with --report")
        }
        if certs != nil, report == nil { throw ValidationError("--certs goes with --report") }
    }

    func resolve() throws -> (AMDProduct, [UInt8], TCBVersion) {
        if let report {
            let bytes = try ReportVerification.readReport(URL(fileURLWithPath: report))
            let parsed: AttestationReport
            do { parsed = try AttestationReport(bytes: bytes, product: product) } catch { throw CommandFailure("\(report): \(error)") }
            var fromCerts: AMDProduct?
            if let certs {
                do { fromCerts = try CertificateDirectory(directory: URL(fileURLWithPath: certs)).product } catch {
                    throw CommandFailure(error.message)
                }
            }
            guard let p = product ?? parsed.inferredProduct ?? fromCerts else {
                let hint = certs.map { " (nor do the certificates in \($0))" } ?? ""
                throw CommandFailure(
                    "\(report): a version-\(parsed.version) report does not name its CPU\(hint): give --product (Milan or Genoa: Turin reports are version 3 or later), or --certs DIR with its ARK, ASK or VCEK")
            }
            return (p, parsed.chipID, TCBVersion(raw: parsed.reportedTCB.raw, layout: TCBVersion.Layout(product: p)))
        }
        let p = product!
        let chip = try ByteOption.parse(chipID!, option: "--chip-id", lengths: p == .turin ? [8, 64] : [64])
        return (p, chip, try TCBOption.parse(tcb!, option: "--tcb", layout: TCBVersion.Layout(product: p)))
    }
}
