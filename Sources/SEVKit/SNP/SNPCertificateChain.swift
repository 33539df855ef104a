import Foundation

/// AMD's SNP certificate chain: ARK → ASK → VCEK, or ARK → ASVK → VLEK.
///
/// The ARK is only trusted when its key is pinned in `SNPTrustAnchors`; every link is an
/// RSASSA-PSS signature; names must chain; each certificate must be within its validity at the
/// verifier's clock; a CRL, when given, must be signed by the ARK and list none of them.
public struct SNPCertificateChain: Sendable, Hashable {
    /// Which kind of endorsement key signs the reports.
    public enum EndorsementKind: String, Sendable, Codable {
        case vcek = "VCEK"
        case vlek = "VLEK"
    }

    public var ark: SNPCertificate
    /// The ASK (for VCEKs) or ASVK (for VLEKs).
    public var intermediate: SNPCertificate
    /// The VCEK or VLEK, when known.
    public var endorsementKey: SNPCertificate?

    public init(ark: SNPCertificate, intermediate: SNPCertificate, endorsementKey: SNPCertificate? = nil) {
        self.ark = ark
        self.intermediate = intermediate
        self.endorsementKey = endorsementKey
    }

    /// Sorts loose certificates (from a directory or a KDS bundle) into a chain by their roles:
    /// the self-issued one is the ARK; `SEV-VCEK`/`SEV-VLEK` is the endorsement key; the rest is
    /// the intermediate. With both an ASK and an ASVK present, the one matching the endorsement
    /// key's issuer is taken.
    public init(sorting certificates: [SNPCertificate]) throws(SNPCertificateError) {
        var roots: [SNPCertificate] = []
        var leaf: SNPCertificate?
        var intermediates: [SNPCertificate] = []
        for cert in certificates {
            if cert.subject == cert.issuer {
                roots.append(cert)
            } else if let cn = cert.commonName, cn == "SEV-VCEK" || cn == "SEV-VLEK" {
                if leaf == nil { leaf = cert }
            } else {
                intermediates.append(cert)
            }
        }
        // Follow names from the leaf up, so a directory holding several products' roots (or
        // both an ASK and an ASVK) still yields the chain that belongs together.
        let intermediate = leaf.flatMap { l in intermediates.first(where: { $0.subject == l.issuer }) } ?? intermediates.first
        guard let intermediate else { throw SNPCertificateError("no ASK or ASVK among the certificates") }
        guard let ark = roots.first(where: { $0.subject == intermediate.issuer }) ?? roots.first else {
            throw SNPCertificateError("no ARK (self-issued root certificate) among the certificates")
        }
        self.init(ark: ark, intermediate: intermediate, endorsementKey: leaf)
    }

    /// The kind of the endorsement key, from its common name.
    public var endorsementKind: EndorsementKind? {
        switch endorsementKey?.commonName {
        case "SEV-VCEK": .vcek
        case "SEV-VLEK": .vlek
        default: nil
        }
    }

    /// The product whose pinned ARK this chain starts with, or nil when the ARK is not AMD's.
    public var product: AMDProduct? { SNPTrustAnchors.product(of: ark) }

    /// Every check of the chain, each named. `crl` is checked when given.
    ///
    /// - Parameter testRoots: roots trusted besides AMD's, for testing against a simulated
    ///   platform; they must be named by the caller one by one, and `ark-pinned` says when one
    ///   of them, not AMD, is the root.
    public func verify(at date: Date, crl: CertificateRevocationList? = nil, testRoots: [SNPCertificate] = []) -> [VerificationCheck] {
        var checks: [VerificationCheck] = []
        let fingerprint = Hex.encode(ark.publicKeyFingerprint)
        if let product {
            checks.append(.init("ark-pinned", true, "ARK key is AMD's \(product.rawValue) root (sha256 \(fingerprint))"))
        } else if testRoots.contains(where: { $0.publicKeyFingerprint == ark.publicKeyFingerprint }) {
            checks.append(.init("ark-pinned", true, "ARK key sha256 \(fingerprint) is a test root named by the caller, NOT one of AMD's"))
        } else {
            checks.append(.init("ark-pinned", false, "ARK key sha256 \(fingerprint) is not one of AMD's pinned roots"))
        }
        checks.append(.init("ark-self-signed", ark.isSigned(by: ark), "\(name(ark)) self-signature (\(ark.signatureAlgorithm))"))
        let role = intermediateRole
        checks.append(.init(
            "\(role)-signed-by-ark", intermediate.isSigned(by: ark) && intermediate.issuer == ark.subject,
            "\(name(intermediate)) signed by \(name(ark))"))
        if let leaf = endorsementKey {
            let leafRole = (endorsementKind ?? .vcek).rawValue.lowercased()
            checks.append(.init(
                "\(leafRole)-signed-by-\(role)", leaf.isSigned(by: intermediate) && leaf.issuer == intermediate.subject,
                "\(name(leaf)) signed by \(name(intermediate))"))
            // A VCEK must hang off the ASK, a VLEK off the ASVK: the ASVK signing a VCEK (or the
            // reverse) is a misissued chain even when a signature happens to verify.
            let expectedIntermediateVLEK = endorsementKind == .vlek
            let isASVK = intermediate.commonName?.hasPrefix("SEV-VLEK") ?? false
            checks.append(.init(
                "intermediate-role", expectedIntermediateVLEK == isASVK,
                "\(name(leaf)) must be issued by \(expectedIntermediateVLEK ? "an ASVK (SEV-VLEK-*)" : "an ASK (SEV-*)"), found \(name(intermediate))"))
        }
        for (label, cert) in [("ark", ark), (role, intermediate)] + (endorsementKey.map { [((endorsementKind ?? .vcek).rawValue.lowercased(), $0)] } ?? []) {
            let ok = cert.isValid(at: date)
            checks.append(.init(
                "\(label)-validity", ok,
                "\(name(cert)) valid \(Self.format(cert.notBefore)) .. \(Self.format(cert.notAfter)); now \(Self.format(date))"))
        }
        if let crl {
            checks.append(.init("crl-signed-by-ark", crl.isSigned(by: ark), "CRL issued by \(crl.issuer) signed by \(name(ark))"))
            let listed = ([intermediate] + (endorsementKey.map { [$0] } ?? [])).filter { crl.revokes($0) }
            checks.append(.init(
                "crl-not-revoked", listed.isEmpty,
                listed.isEmpty ? "none of the chain is in the CRL (\(crl.revokedSerials.count) entries)"
                    : "revoked: " + listed.map { "\(name($0)) serial \($0.serialHex)" }.joined(separator: ", ")))
        }
        return checks
    }

    private var intermediateRole: String {
        (intermediate.commonName?.hasPrefix("SEV-VLEK") ?? false) ? "asvk" : "ask"
    }

    private func name(_ cert: SNPCertificate) -> String { cert.commonName ?? "certificate" }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
