/// Every link of a full legacy SEV chain, checked, in the order sevctl prints them.
///
/// PDH ← PEK, PEK ← OCA (and the OCA's self-signature), PEK ← CEK, CEK ← ASK, ASK ← ARK (and
/// the ARK's self-signature), plus whether the ARK is one of AMD's. Each is reported on its
/// own, so a tool can print the whole tree and still fail on the first bad link.
public struct SEVChainVerification: Sendable, Hashable {
    public var pdhByPEK: SEVLinkVerdict
    public var pekByOCA: SEVLinkVerdict
    public var ocaSelf: SEVLinkVerdict
    public var pekByCEK: SEVLinkVerdict
    public var cekByASK: SEVLinkVerdict
    public var askByARK: SEVLinkVerdict
    public var arkSelf: SEVLinkVerdict
    /// The product whose genuine ARK anchors the chain, nil when the ARK is not AMD's.
    public var anchorProduct: String?

    public init(platform: SEVPlatformChain, ca: AMDCAChain) {
        pdhByPEK = SEVCertificateVerifier.verify(platform.pdh, signedBy: platform.pek)
        pekByOCA = SEVCertificateVerifier.verify(platform.pek, signedBy: platform.oca)
        ocaSelf = SEVCertificateVerifier.verify(platform.oca, signedBy: platform.oca)
        pekByCEK = SEVCertificateVerifier.verify(platform.pek, signedBy: platform.cek)
        cekByASK = SEVCertificateVerifier.verify(platform.cek, signedBy: ca.ask)
        askByARK = SEVCertificateVerifier.verify(ca.ask, signedBy: ca.ark)
        arkSelf = SEVCertificateVerifier.verify(ca.ark, signedBy: ca.ark)
        anchorProduct = AMDLegacyRootKeys.product(of: ca.ark)
    }

    /// The links with their names, for reporting.
    public var links: [(name: String, verdict: SEVLinkVerdict)] {
        [
            ("PDH signed by PEK", pdhByPEK), ("PEK signed by OCA", pekByOCA), ("OCA self-signature", ocaSelf),
            ("PEK signed by CEK", pekByCEK), ("CEK signed by ASK", cekByASK), ("ASK signed by ARK", askByARK),
            ("ARK self-signature", arkSelf),
        ]
    }

    /// True only when every signature holds and the root is a genuine AMD ARK.
    public var isValid: Bool { links.allSatisfy { $0.verdict.isValid } && anchorProduct != nil }
}
