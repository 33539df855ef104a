import Foundation
import SEVKit

/// `sevhost report verify`: gathers the chain (directory, then KDS when allowed), decides the
/// product, and runs every check.
public struct ReportVerification: Sendable {
    public var reportBytes: [UInt8]
    public var reportName: String
    public var certificates: CertificateDirectory
    public var product: AMDProduct?
    public var policy: ReportPolicy
    /// Set to fetch what the directory lacks.
    public var kds: KDSClient?
    /// Roots trusted besides AMD's, for testing against a simulated platform.
    public var testRoots: [SNPCertificate] = []

    public init(reportBytes: [UInt8], reportName: String, certificates: CertificateDirectory,
                product: AMDProduct?, policy: ReportPolicy, kds: KDSClient?) {
        self.reportBytes = reportBytes
        self.reportName = reportName
        self.certificates = certificates
        self.product = product
        self.policy = policy
        self.kds = kds
    }

    public struct Outcome: Sendable {
        public var report: AttestationReport
        public var verifier: ReportVerifier
        public var checks: [VerificationCheck]
    }

    public func run(at date: Date) async throws -> Outcome {
        var report = try Self.parse(reportBytes, name: reportName, product: product)
        var certs = certificates
        let kind: SNPCertificateChain.EndorsementKind = report.keyInfo.signingKey == .vlek ? .vlek : .vcek

        if let kds, certs.endorsementKey == nil || !certs.hasARK || !certs.hasIntermediate {
            let p = try resolveProduct(report: report, certs: certs)
            if report.reportedTCB.layout != TCBVersion.Layout(product: p) { report = try Self.parse(reportBytes, name: reportName, product: p) }
            if certs.endorsementKey == nil {
                guard kind == .vcek else {
                    throw ReportInputError("\(reportName): signed by a VLEK, which KDS does not serve publicly; put the VLEK in the certificate directory")
                }
                let vcek = try await kds.vcek(product: p, chipID: report.chipID, tcb: report.reportedTCB)
                certs.certificates.append(vcek)
            }
            if !certs.hasARK || !certs.hasIntermediate {
                let signer: KDSURL.Signer = kind == .vlek ? .vlek : .vcek
                for cert in try await kds.certChain(signer, product: p) where !certs.certificates.contains(cert) {
                    certs.certificates.append(cert)
                }
            }
        }
        let chain = try certs.chain()
        if chain.endorsementKey == nil {
            throw ReportInputError("no VCEK or VLEK among the certificates; add it to the directory or pass --fetch")
        }
        // A version-2 report cannot say it is from Turin; the chain can.
        if product == nil, report.cpuidFamily == nil, let p = chain.product, TCBVersion.Layout(product: p) != report.reportedTCB.layout {
            report = try Self.parse(reportBytes, name: reportName, product: p)
        }
        var verifier = ReportVerifier(chain: chain, crl: certs.crl)
        verifier.testRoots = testRoots
        return Outcome(report: report, verifier: verifier, checks: verifier.verify(report, policy: policy, at: date))
    }

    static func parse(_ bytes: [UInt8], name: String, product: AMDProduct?) throws(ReportInputError) -> AttestationReport {
        do { return try AttestationReport(bytes: bytes, product: product) } catch {
            throw ReportInputError("\(name): \(error)")
        }
    }

    private func resolveProduct(report: AttestationReport, certs: CertificateDirectory) throws(ReportInputError) -> AMDProduct {
        if let product { return product }
        if let p = report.inferredProduct ?? certs.product { return p }
        throw ReportInputError("\(reportName): version \(report.version) does not name its CPU; give --product to fetch from KDS")
    }

    /// Reads a report file: raw 1184 bytes, or the same as hex text (as virtee's test data is).
    public static func readReport(_ url: URL) throws(ReportInputError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReportInputError("\(url.path): cannot read report")
        }
        let bytes = [UInt8](data)
        if bytes.count != AttestationReport.size {
            let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
            if let decoded = Hex.decode(text), decoded.count == AttestationReport.size { return decoded }
            throw ReportInputError("\(url.path): expected a \(AttestationReport.size)-byte report (raw or hex), got \(bytes.count) bytes")
        }
        return bytes
    }
}
