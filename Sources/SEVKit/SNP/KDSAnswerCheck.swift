import Foundation

/// What a KDS answer must be before anyone keeps it: the checks a cache (sevhostd's, or the
/// CLI's directory) runs on every body from upstream and on every file it reads back.
///
/// Nothing is taken on the word of the server: a chain's ARK must be AMD's pinned root for the
/// product in the URL (or a root the caller named for testing), the ASK or ASVK must be signed
/// by it and be of the kind the URL asks for, a VCEK must be signed by that ASK and carry the
/// chip id, TCB and product it was asked for, and a CRL must be signed by the ARK and not be
/// past its nextUpdate. So a mirror, a proxy or an attacker on the path can make a fetch fail,
/// never make a wrong object be kept.
public struct KDSAnswerCheck: Sendable {
    /// Roots trusted besides AMD's pinned ones (a simulated platform's, in tests).
    public var testRoots: [SNPCertificate]

    public init(testRoots: [SNPCertificate] = []) {
        self.testRoots = testRoots
    }

    /// A checked `cert_chain`: the ARK and the ASK (or ASVK).
    public struct Chain: Sendable, Hashable {
        public var ark: SNPCertificate
        public var intermediate: SNPCertificate
    }

    /// `cert_chain` of `product` for `signer`: two PEM certificates, intermediate and ARK.
    public func certChain(_ bytes: [UInt8], signer: KDSURL.Signer, product: AMDProduct) throws(KDSAnswerError) -> Chain {
        let certificates: [SNPCertificate]
        do { certificates = try SNPCertificate.decodeAll(bytes) } catch {
            throw KDSAnswerError("not a certificate chain: \(error.message)")
        }
        guard certificates.count == 2 else {
            throw KDSAnswerError("expected the \(signer == .vlek ? "ASVK" : "ASK") and the ARK, got \(certificates.count) certificate(s)")
        }
        guard let ark = certificates.first(where: { $0.subject == $0.issuer }),
              let intermediate = certificates.first(where: { $0.subject != $0.issuer })
        else {
            throw KDSAnswerError("expected one self-issued ARK and one certificate it issued")
        }
        try requireRoot(ark, product: product)
        guard ark.isSigned(by: ark) else { throw KDSAnswerError("the ARK's self-signature does not verify") }
        guard intermediate.issuer == ark.subject, intermediate.isSigned(by: ark) else {
            throw KDSAnswerError("the \(intermediate.commonName ?? "intermediate") is not signed by the ARK")
        }
        let isASVK = intermediate.commonName?.hasPrefix("SEV-VLEK") ?? false
        guard isASVK == (signer == .vlek) else {
            throw KDSAnswerError("\(signer.rawValue)/cert_chain holds \(intermediate.commonName ?? "an unnamed certificate"), not an \(signer == .vlek ? "ASVK" : "ASK")")
        }
        return Chain(ark: ark, intermediate: intermediate)
    }

    /// One VCEK (DER) for `chipID` at `tcb`, signed by `ask` (a checked chain's).
    public func vcek(_ bytes: [UInt8], product: AMDProduct, chipID: [UInt8], tcb: TCBVersion, ask: SNPCertificate) throws(KDSAnswerError) -> SNPCertificate {
        let certificate: SNPCertificate
        do { certificate = try SNPCertificate(derEncoded: bytes) } catch {
            throw KDSAnswerError("not a DER certificate: \(error.message)")
        }
        guard certificate.commonName == "SEV-VCEK" else { throw KDSAnswerError("not a VCEK (common name \(certificate.commonName ?? "none"))") }
        guard certificate.issuer == ask.subject, certificate.isSigned(by: ask) else {
            throw KDSAnswerError("the VCEK is not signed by AMD's \(product.rawValue) ASK")
        }
        let extensions: EndorsementKeyExtensions
        do { extensions = try EndorsementKeyExtensions(certificate) } catch {
            throw KDSAnswerError("the VCEK's AMD extensions: \(error.message)")
        }
        guard let hwid = extensions.hardwareID, hwid.prefix(product.kdsChipIDLength) == chipID.prefix(product.kdsChipIDLength) else {
            throw KDSAnswerError("the VCEK is for another chip")
        }
        let layout = TCBVersion.Layout(product: product)
        guard let issued = extensions.tcb(layout: layout), issued.raw == TCBVersion(raw: tcb.raw, layout: layout).raw else {
            throw KDSAnswerError("the VCEK is for another TCB than \(tcb)")
        }
        guard let name = extensions.productName, AMDProduct(name: name) == product else {
            throw KDSAnswerError("the VCEK is for another product than \(product.rawValue)")
        }
        return certificate
    }

    /// The CRL of `ark`, current at `date`.
    public func crl(_ bytes: [UInt8], ark: SNPCertificate, at date: Date) throws(KDSAnswerError) -> CertificateRevocationList {
        let list: CertificateRevocationList
        do { list = try CertificateRevocationList(bytes: bytes) } catch {
            throw KDSAnswerError("not a CRL: \(error.message)")
        }
        guard list.issuer == ark.subject, list.isSigned(by: ark) else {
            throw KDSAnswerError("the CRL is not signed by the ARK")
        }
        if let next = list.nextUpdate, next <= date {
            throw KDSAnswerError("the CRL expired at \(SNPCertificateChain.format(next))")
        }
        return list
    }

    private func requireRoot(_ ark: SNPCertificate, product: AMDProduct) throws(KDSAnswerError) {
        if let pinned = SNPTrustAnchors.product(of: ark) {
            guard pinned == product else {
                throw KDSAnswerError("holds AMD's \(pinned.rawValue) ARK, not the \(product.rawValue) one")
            }
            return
        }
        guard testRoots.contains(where: { $0.publicKeyFingerprint == ark.publicKeyFingerprint }) else {
            throw KDSAnswerError("the ARK is not AMD's pinned \(product.rawValue) root")
        }
    }
}

/// A KDS answer is not what its URL promises, or not from AMD.
public struct KDSAnswerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
