import Crypto
import Foundation

/// Verifies an SNP attestation report the way a relying party must: the chain to a pinned AMD
/// root, the report's ECDSA signature by the VCEK/VLEK, that the report is bound to that key
/// (TCB, chip, key kind) and then the caller's policy. Every check is named in the result.
public struct ReportVerifier: Sendable {
    public var chain: SNPCertificateChain
    public var crl: CertificateRevocationList?
    /// Roots trusted besides AMD's pinned ones, for testing (see `SNPCertificateChain.verify`).
    public var testRoots: [SNPCertificate] = []
    /// Parsed once: a verifier reused across many reports pays only the ECDSA check per report.
    /// An immutable BoringSSL key (swift-crypto does not mark it Sendable); never mutated after init.
    nonisolated(unsafe) private let signingKey: P384.Signing.PublicKey?

    /// The endorsement key's AMD extensions, decoded once with the key.
    private let leafExtensions: Result<EndorsementKeyExtensions, SNPCertificateError>?

    public init(chain: SNPCertificateChain, crl: CertificateRevocationList? = nil) {
        self.chain = chain
        self.crl = crl
        signingKey = chain.endorsementKey.flatMap { P384.Signing.PublicKey($0.publicKey) }
        leafExtensions = chain.endorsementKey.map { leaf in
            Result { () throws(SNPCertificateError) in try EndorsementKeyExtensions(leaf) }
        }
    }

    /// Only the report signature (the part that changes per report once a chain is trusted).
    public func signatureIsValid(_ report: AttestationReport) -> Bool {
        guard let signingKey, let sig = report.signature.p384 else { return false }
        return signingKey.isValidSignature(sig, for: SHA384.hash(data: report.signedBytes))
    }

    /// Every check, chain first. `date` is the verifier's clock (injectable for tests).
    public func verify(_ report: AttestationReport, policy: ReportPolicy = ReportPolicy(), at date: Date) -> [VerificationCheck] {
        var checks = chain.verify(at: date, crl: crl, testRoots: testRoots)
        checks += bindingChecks(report)
        checks += policyChecks(report, policy: policy)
        return checks
    }

    /// That the report was signed by this chain's endorsement key and describes the same
    /// chip/TCB the key was issued for.
    public func bindingChecks(_ report: AttestationReport) -> [VerificationCheck] {
        var checks: [VerificationCheck] = []
        guard chain.endorsementKey != nil, let leafExtensions else {
            return [.init("report-signature", false, "no VCEK or VLEK to verify the report with")]
        }
        let kind = chain.endorsementKind ?? .vcek
        checks.append(.init(
            "signature-algorithm", report.signatureAlgorithm == 1,
            "SIGNATURE_ALGO \(report.signatureAlgorithm) (1 = ECDSA P-384 with SHA-384)"))
        let keyKind: SNPCertificateChain.EndorsementKind? = switch report.keyInfo.signingKey {
        case .vcek: .vcek
        case .vlek: .vlek
        default: nil
        }
        checks.append(.init(
            "signing-key", keyKind == kind,
            "report says signed by \(keyKind?.rawValue ?? "no key (selector \(report.keyInfo.signingKeyValue))"), certificate is a \(kind.rawValue)"))
        checks.append(.init(
            "report-signature", signatureIsValid(report),
            signingKey == nil ? "\(kind.rawValue) key is not P-384" : "ECDSA P-384/SHA-384 over bytes 0x000-0x29F with the \(kind.rawValue)"))
        let ext: EndorsementKeyExtensions
        switch leafExtensions {
        case .success(let decoded): ext = decoded
        case .failure(let error):
            checks.append(.init("tcb", false, "\(kind.rawValue) extensions: \(error)"))
            return checks
        }
        let layout = report.reportedTCB.layout
        if let certTCB = ext.tcb(layout: layout) {
            checks.append(.init(
                "tcb", certTCB.raw == report.reportedTCB.raw,
                "REPORTED_TCB [\(report.reportedTCB)] vs \(kind.rawValue) [\(certTCB)]"))
        } else {
            checks.append(.init("tcb", false, "\(kind.rawValue) lacks TCB SPL extensions for the \(layout == .turin ? "Turin" : "Milan/Genoa") layout"))
        }
        if kind == .vcek {
            if report.keyInfo.maskChipKey {
                checks.append(.init("chip-binding", true, "MASK_CHIP_KEY set: report carries no chip id"))
            } else if let hwid = ext.hardwareID {
                let n = hwid.count
                let ok = n > 0 && n <= 64 && Array(report.chipID.prefix(n)) == hwid
                checks.append(.init("chip-binding", ok, "CHIP_ID \(Hex.encode(report.chipID.prefix(n))) vs VCEK hwID \(Hex.encode(hwid))"))
            } else {
                checks.append(.init("chip-binding", false, "VCEK has no hwID extension"))
            }
        }
        if let name = ext.productName, let leafProduct = AMDProduct(name: name), let rootProduct = chain.product {
            checks.append(.init(
                "product", leafProduct == rootProduct, "\(kind.rawValue) productName \(name), root \(rootProduct.rawValue)"))
        }
        return checks
    }

    /// The caller's policy.
    public func policyChecks(_ report: AttestationReport, policy: ReportPolicy) -> [VerificationCheck] {
        var checks: [VerificationCheck] = []
        func compare(_ name: String, _ expected: [UInt8]?, _ actual: [UInt8]) {
            guard let expected else { return }
            checks.append(.init(name, expected == actual, "expected \(Hex.encode(expected)), report has \(Hex.encode(actual))"))
        }
        compare("measurement", policy.measurement, report.measurement)
        compare("report-data", policy.reportData, report.reportData)
        compare("host-data", policy.hostData, report.hostData)
        compare("id-key-digest", policy.idKeyDigest, report.idKeyDigest)
        compare("author-key-digest", policy.authorKeyDigest, report.authorKeyDigest)
        if let minimum = policy.minimumTCB {
            let min = TCBVersion(raw: minimum.raw, layout: report.reportedTCB.layout)
            checks.append(.init(
                "min-tcb", report.reportedTCB.isAtLeast(min),
                "REPORTED_TCB [\(report.reportedTCB)], minimum [\(min)]"))
        }
        if policy.forbidDebug {
            let debug = report.guestPolicy.contains(SNPGuestPolicy.debug)
            checks.append(.init("no-debug", !debug, "guest policy 0x\(String(report.policy, radix: 16)) DEBUG bit 19 is \(debug ? "set" : "clear")"))
        }
        if policy.forbidMigrationAgent {
            let ma = report.guestPolicy.contains(SNPGuestPolicy.migrateMA)
            checks.append(.init("no-migration-agent", !ma, "guest policy MIGRATE_MA bit 18 is \(ma ? "set" : "clear")"))
        }
        if let vmpl = policy.vmpl {
            checks.append(.init("vmpl", report.vmpl == vmpl, "expected VMPL \(vmpl), report has \(report.vmpl)"))
        }
        if let product = policy.product {
            // The endorsement key's productName when it has one; the root always decides too.
            let leaf = (try? leafExtensions?.get())?.productName.flatMap(AMDProduct.init(name:))
            let root = chain.product
            var found = leaf.map { ["\(chain.endorsementKind?.rawValue ?? "VCEK") productName \($0.rawValue)"] } ?? []
            found.append("root \(root?.rawValue ?? "not one of AMD's")")
            checks.append(.init(
                "expected-product", (leaf == nil || leaf == product) && root == product,
                "--product \(product.rawValue): \(found.joined(separator: ", "))"))
        }
        if let chip = policy.chipID {
            let n = chip.count
            checks.append(.init(
                "chip-id", (n == 64 || n == 8) && Array(report.chipID.prefix(n)) == chip,
                "expected \(Hex.encode(chip)), report has \(Hex.encode(report.chipID.prefix(max(n, 8))))"))
        }
        return checks
    }
}
