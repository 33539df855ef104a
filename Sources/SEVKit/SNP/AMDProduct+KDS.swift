/// What the SNP certificate world needs to know about a product beyond the platform's view.
extension AMDProduct {
    /// The products with SEV-SNP (X.509) certificate chains at KDS.
    public static let snpCapable: [AMDProduct] = [.milan, .genoa, .turin]

    /// Parses a product name as users, KDS and VCEKs spell it, case-insensitively. Bergamo and
    /// Siena are Genoa variants: KDS serves their VCEKs under `Genoa`. A VCEK's productName
    /// carries a stepping suffix (`Milan-B0`) that is ignored here.
    public init?(name: String) {
        let base = name.split(separator: "-").first.map(String.init)?.lowercased() ?? ""
        switch base {
        case "naples": self = .naples
        case "rome": self = .rome
        case "milan": self = .milan
        case "genoa", "bergamo", "siena": self = .genoa
        case "turin": self = .turin
        default: return nil
        }
    }

    /// How many bytes of the chip id KDS takes in a VCEK URL (Turin: the first 8).
    public var kdsChipIDLength: Int { self == .turin ? 8 : 64 }
}

extension TCBVersion {
    /// Places the SPLs for an explicit layout (an `fmc` is only kept for Turin).
    public init(layout: Layout, fmc: UInt8? = nil, bootloader: UInt8, tee: UInt8, snp: UInt8, microcode: UInt8) {
        self.init(bootloader: bootloader, tee: tee, snp: snp, microcode: microcode, fmc: layout == .turin ? (fmc ?? 0) : nil)
    }

    /// `0x7308000000000003`: the raw value as AMD tools print it.
    public var hex: String { "0x" + String(raw, radix: 16).leftPadded(to: 16) }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
