/// URLs of AMD's Key Distribution Service (KDS interface spec 57230).
///
/// `{base}/{vcek|vlek}/v1/{Product}/cert_chain` (ASK or ASVK, then ARK, PEM),
/// `{base}/{vcek|vlek}/v1/{Product}/crl`, and
/// `{base}/vcek/v1/{Product}/{chip id hex}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..` for a VCEK.
/// Turin differs: the chip id is its first 8 bytes and `fmcSPL` comes first. Bergamo and Siena
/// VCEKs live under `Genoa`. The base can be a mirror for air-gapped hosts; the path is the same.
public struct KDSURL: Sendable, Hashable {
    public static let amdBase = "https://kdsintf.amd.com"

    /// Which PKI: VCEK (per-chip) or VLEK (per-cloud-provider).
    public enum Signer: String, Sendable, CaseIterable {
        case vcek, vlek
    }

    /// How SPL numbers are written. KDS accepts both; go-sev-guest writes plain decimals, virtee's
    /// snpguest/snphost pad to two digits.
    public enum SPLStyle: Sendable {
        case plain, zeroPadded
    }

    public var base: String

    public init(base: String = KDSURL.amdBase) {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        self.base = b
    }

    public func certChain(_ signer: Signer, product: AMDProduct) -> String {
        "\(base)/\(signer.rawValue)/v1/\(product.rawValue)/cert_chain"
    }

    public func crl(_ signer: Signer, product: AMDProduct) -> String {
        "\(base)/\(signer.rawValue)/v1/\(product.rawValue)/crl"
    }

    /// The VCEK for one chip at one TCB. `chipID` is the report's 64-byte CHIP_ID (or, for
    /// Turin, at least its first 8 bytes).
    public func vcek(product: AMDProduct, chipID: [UInt8], tcb: TCBVersion, style: SPLStyle = .plain) throws(KDSURLError) -> String {
        let needed = product.kdsChipIDLength
        guard chipID.count >= needed else {
            throw KDSURLError("chip id has \(chipID.count) bytes; \(product.rawValue) needs \(needed)")
        }
        if product != .turin, chipID.count != 64 {
            throw KDSURLError("chip id has \(chipID.count) bytes; \(product.rawValue) needs 64")
        }
        guard AMDProduct.snpCapable.contains(product) else {
            throw KDSURLError("\(product.rawValue) has no SEV-SNP VCEKs")
        }
        let t = TCBVersion(raw: tcb.raw, layout: TCBVersion.Layout(product: product))
        func f(_ v: UInt8) -> String {
            style == .zeroPadded ? String(v).leftPadded(to: 2) : String(v)
        }
        var query: [String] = []
        if let fmc = t.fmc { query.append("fmcSPL=\(f(fmc))") }
        query += ["blSPL=\(f(t.bootloader))", "teeSPL=\(f(t.tee))", "snpSPL=\(f(t.snp))", "ucodeSPL=\(f(t.microcode))"]
        let hwid = Hex.encode(chipID.prefix(needed))
        return "\(base)/vcek/v1/\(product.rawValue)/\(hwid)?" + query.joined(separator: "&")
    }

    /// KDS's endpoint for cloud providers (mutual TLS with the provider's client certificate):
    /// VLEKs and wrapped VLEK hashsticks.
    public static let amdVLEKBase = "https://kdsintf.amd.com:444"

    /// A provider's VLEK at `tcb`: `{base}/vlek/v1/{Product}/cert?blSPL=..` (SPLs zero-padded, as
    /// snphost writes them; Turin's fmcSPL first).
    public func vlek(product: AMDProduct, tcb: TCBVersion) -> String {
        "\(base)/vlek/v1/\(product.rawValue)/cert?" + Self.splQuery(product: product, tcb: tcb)
    }

    /// Where a provider POSTs `{"hwids": [...]}` for wrapped VLEK hashsticks at `tcb`.
    public func hashsticks(product: AMDProduct, tcb: TCBVersion) -> String {
        "\(base)/vlek/v1/\(product.rawValue)/hash_sticks?" + Self.splQuery(product: product, tcb: tcb)
    }

    private static func splQuery(product: AMDProduct, tcb: TCBVersion) -> String {
        let t = TCBVersion(raw: tcb.raw, layout: TCBVersion.Layout(product: product))
        func f(_ v: UInt8) -> String { String(v).leftPadded(to: 2) }
        var query: [String] = []
        if let fmc = t.fmc { query.append("fmcSPL=\(f(fmc))") }
        query += ["blSPL=\(f(t.bootloader))", "teeSPL=\(f(t.tee))", "snpSPL=\(f(t.snp))", "ucodeSPL=\(f(t.microcode))"]
        return query.joined(separator: "&")
    }

    /// The VCEK URL for the chip and REPORTED_TCB of a report.
    public func vcek(for report: AttestationReport, product: AMDProduct, style: SPLStyle = .plain) throws(KDSURLError) -> String {
        try vcek(product: product, chipID: report.chipID, tcb: report.reportedTCB, style: style)
    }

    /// What a KDS URL names.
    public struct Parsed: Sendable, Hashable {
        public var signer: Signer
        public var product: AMDProduct
        /// `cert_chain`, `crl`, or a chip id (with query) for a VCEK.
        public var resource: String

        public init(signer: Signer, product: AMDProduct, resource: String) {
            self.signer = signer
            self.product = product
            self.resource = resource
        }
    }

    /// Checks that `url` is a KDS URL under this base: `https`, the base's host, a
    /// `/vcek/v1/` or `/vlek/v1/` path and a known product.
    public func parse(_ url: String) throws(KDSURLError) -> Parsed {
        guard let schemeEnd = url.range(of: "://") else { throw KDSURLError("\(url): not a URL") }
        let scheme = url[..<schemeEnd.lowerBound]
        let baseScheme = base.range(of: "://").map { base[..<$0.lowerBound] } ?? "https"
        guard scheme == baseScheme, scheme == "https" || base != Self.amdBase else {
            throw KDSURLError("\(url): bad scheme (want https)")
        }
        let rest = url[schemeEnd.upperBound...]
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let host = rest[..<hostEnd]
        let baseHost = base.range(of: "://").map { base[$0.upperBound...] }.map { $0.split(separator: "/", maxSplits: 1).first.map(String.init) ?? "" } ?? ""
        guard host == baseHost else { throw KDSURLError("\(url): bad host (want \(baseHost))") }
        let path = rest[hostEnd...]
        let signer: Signer
        if path.hasPrefix("/vcek/v1/") { signer = .vcek } else if path.hasPrefix("/vlek/v1/") { signer = .vlek } else {
            throw KDSURLError("\(url): bad path prefix (want /vcek/v1/ or /vlek/v1/)")
        }
        let parts = path.dropFirst("/vcek/v1/".count).split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let product = AMDProduct(name: String(parts[0])), AMDProduct.snpCapable.contains(product) else {
            throw KDSURLError("\(url): unknown product")
        }
        return Parsed(signer: signer, product: product, resource: String(parts[1]))
    }
}

/// A KDS URL could not be built or is not a KDS URL.
public struct KDSURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
