/// One thing AMD's Key Distribution Service serves, named the way a cache keys it.
///
/// The forms clients ask for differ in spelling only (KDS interface spec 57230): virtee's
/// snpguest and snphost write the SPLs zero-padded (`blSPL=03`) and Turin's `fmcSPL` first;
/// go-sev-guest (`kds.VCEKCertURL`) writes plain decimals and always the 64-byte chip id. Each
/// form parses to the same value here, so a cache holds one copy whoever asked, and the
/// request it sends upstream is always KDS's own (`KDSURL`).
public enum KDSObject: Hashable, Sendable {
    /// `/{vcek|vlek}/v1/{Product}/cert_chain`: the ASK (or ASVK) and ARK, PEM.
    case certChain(KDSURL.Signer, AMDProduct)
    /// `/{vcek|vlek}/v1/{Product}/crl`: the ARK's CRL, DER.
    case crl(KDSURL.Signer, AMDProduct)
    /// `/vcek/v1/{Product}/{hwid}?blSPL=…`: one chip's VCEK at one TCB, DER. `chipID` is the
    /// part KDS keys on (64 bytes; Turin's first 8).
    case vcek(AMDProduct, chipID: [UInt8], tcb: TCBVersion)

    /// The longest request target taken: a Milan VCEK path with padded SPLs is under 250 bytes.
    public static let maximumTargetLength = 512

    public var product: AMDProduct {
        switch self {
        case .certChain(_, let p), .crl(_, let p), .vcek(let p, _, _): p
        }
    }

    /// Parses a request target (`/vcek/v1/Milan/cert_chain`, path and query as sent).
    /// Everything not KDS's is refused with the reason: unknown paths, products without SNP,
    /// a chip id of the wrong length, missing, repeated or unknown SPL parameters.
    public init(target: String) throws(KDSObjectError) {
        guard target.utf8.count <= Self.maximumTargetLength else {
            throw KDSObjectError("request target longer than \(Self.maximumTargetLength) bytes")
        }
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = pieces[0]
        let query = pieces.count > 1 ? pieces[1] : nil
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", signer, "v1", product, resource
        guard parts.count == 5, parts[0].isEmpty, parts[2] == "v1" else {
            throw KDSObjectError("not a KDS path (want /vcek/v1/PRODUCT/… or /vlek/v1/PRODUCT/…)", notFound: true)
        }
        guard let signer = KDSURL.Signer(rawValue: String(parts[1])) else {
            throw KDSObjectError("not a KDS path (want /vcek/v1/PRODUCT/… or /vlek/v1/PRODUCT/…)", notFound: true)
        }
        guard let product = AMDProduct(name: String(parts[3])), AMDProduct.snpCapable.contains(product) else {
            throw KDSObjectError("unknown product (Milan, Genoa or Turin)", notFound: true)
        }
        let resource = parts[4]
        switch resource {
        case "cert_chain", "crl":
            guard query == nil || query == "" else { throw KDSObjectError("\(resource) takes no query") }
            self = resource == "crl" ? .crl(signer, product) : .certChain(signer, product)
        case "cert" where signer == .vlek:
            throw KDSObjectError("VLEKs are served to their cloud provider only (KDS authenticates the request)", notFound: true)
        default:
            guard signer == .vcek else { throw KDSObjectError("unknown VLEK resource (cert_chain or crl)", notFound: true) }
            self = .vcek(product, chipID: try Self.chipID(resource, product: product),
                         tcb: try Self.tcb(query.map(String.init) ?? "", product: product))
        }
    }

    private static func chipID(_ text: Substring, product: AMDProduct) throws(KDSObjectError) -> [UInt8] {
        guard text.utf8.allSatisfy({ $0 < 0x80 }), let bytes = Hex.decode(String(text)) else {
            throw KDSObjectError("the chip id is not hex")
        }
        let needed = product.kdsChipIDLength
        // go-sev-guest sends the report's whole 64-byte CHIP_ID for every product; KDS keys a
        // Turin chip on its first 8 bytes.
        guard bytes.count == needed || bytes.count == 64 else {
            throw KDSObjectError("the chip id has \(bytes.count) bytes; \(product.rawValue) needs \(needed)")
        }
        return Array(bytes.prefix(needed))
    }

    private static func tcb(_ query: String, product: AMDProduct) throws(KDSObjectError) -> TCBVersion {
        let layout = TCBVersion.Layout(product: product)
        var values: [String: UInt8] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0])
            guard ["blSPL", "teeSPL", "snpSPL", "ucodeSPL", "fmcSPL"].contains(key) else {
                throw KDSObjectError("unknown VCEK parameter (blSPL, teeSPL, snpSPL, ucodeSPL, fmcSPL)")
            }
            guard values[key] == nil else { throw KDSObjectError("\(key) given twice") }
            guard kv.count == 2, (1...3).contains(kv[1].count), kv[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(kv[1])
            else {
                throw KDSObjectError("\(key) must be a decimal 0-255")
            }
            values[key] = value
        }
        for key in ["blSPL", "teeSPL", "snpSPL", "ucodeSPL"] where values[key] == nil {
            throw KDSObjectError("\(key) is missing")
        }
        if layout == .turin, values["fmcSPL"] == nil { throw KDSObjectError("fmcSPL is missing (Turin)") }
        if layout != .turin, values["fmcSPL"] != nil { throw KDSObjectError("fmcSPL exists on Turin only") }
        return TCBVersion(
            layout: layout, fmc: values["fmcSPL"], bootloader: values["blSPL"]!, tee: values["teeSPL"]!,
            snp: values["snpSPL"]!, microcode: values["ucodeSPL"]!)
    }

    /// KDS's own URL for this object under `urls`' base (what a cache asks upstream).
    public func url(_ urls: KDSURL) -> String {
        switch self {
        case .certChain(let signer, let product): urls.certChain(signer, product: product)
        case .crl(let signer, let product): urls.crl(signer, product: product)
        case .vcek(let product, let chipID, let tcb):
            // The chip id has the product's length by construction, so this cannot fail.
            (try? urls.vcek(product: product, chipID: chipID, tcb: tcb)) ?? ""
        }
    }

    /// Where the object lives in a cache directory, relative to it: one layout for `sevhost
    /// fetch`, `report verify --fetch` and sevhostd, so they share one cache on a host.
    public var cacheName: String {
        switch self {
        case .certChain(let signer, let product): "\(signer.rawValue)/\(product.rawValue)/cert_chain.pem"
        case .crl(let signer, let product): "\(signer.rawValue)/\(product.rawValue)/crl.der"
        case .vcek(let product, let chipID, let tcb):
            "vcek/\(product.rawValue)/\(Hex.encode(chipID))-\(TCBVersion(raw: tcb.raw, layout: TCBVersion.Layout(product: product)).hex).der"
        }
    }

    /// The media type KDS answers with.
    public var contentType: String {
        switch self {
        case .certChain: "application/x-pem-file"
        case .crl: "application/pkix-crl"
        case .vcek: "application/pkix-cert"
        }
    }
}

/// A request target is not one KDS serves.
public struct KDSObjectError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The path is not one KDS has at all (KDS answers 404), rather than a malformed request.
    public var notFound: Bool
    public init(_ message: String, notFound: Bool = false) {
        self.message = message
        self.notFound = notFound
    }
    public var description: String { message }
}
