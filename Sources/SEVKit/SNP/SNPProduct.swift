/// An AMD EPYC generation, as AMD's Key Distribution Service and certificates name it.
///
/// Naples and Rome predate SEV-SNP (they have legacy SEV roots only); they are here because the
/// ARK trust anchors cover every generation.
public enum SNPProduct: String, CaseIterable, Sendable, Hashable, Codable {
    case naples = "Naples"
    case rome = "Rome"
    case milan = "Milan"
    case genoa = "Genoa"
    case turin = "Turin"

    /// The products with SNP (X.509) certificate chains at KDS.
    public static let snpCapable: [SNPProduct] = [.milan, .genoa, .turin]

    /// Parses a product name as users and KDS spell it, case-insensitively. Bergamo and Siena are
    /// Genoa variants: KDS serves their VCEKs under `Genoa`. A VCEK's productName1 carries a
    /// stepping suffix (`Milan-B0`) that is ignored here.
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

    /// Identifies the product from the CPUID family and model a version-3+ report carries
    /// (family 0x19: Milan models 0x00-0x0f, Genoa 0x10-0x1f and 0xa0-0xaf; family 0x1a: Turin).
    public init?(cpuidFamily family: UInt8, model: UInt8) {
        switch family {
        case 0x19:
            switch model {
            case 0x00...0x0f: self = .milan
            case 0x10...0x1f, 0xa0...0xaf: self = .genoa
            default: return nil
            }
        case 0x1a:
            switch model {
            case 0x00...0x1f: self = .turin
            default: return nil
            }
        case 0x17:
            self = model >= 0x30 ? .rome : .naples
        default: return nil
        }
    }

    /// Identifies the product from CPUID leaf 1 EAX (extended family + base family, model).
    public init?(cpuid1EAX eax: UInt32) {
        let baseFamily = (eax >> 8) & 0xf
        let extFamily = (eax >> 20) & 0xff
        let family = baseFamily == 0xf ? baseFamily + extFamily : baseFamily
        let model = ((eax >> 4) & 0xf) | ((eax >> 12) & 0xf0)
        self.init(cpuidFamily: UInt8(truncatingIfNeeded: family), model: UInt8(truncatingIfNeeded: model))
    }

    /// The TCB layout the product's firmware uses.
    public var tcbLayout: TCBVersion.Layout { self == .turin ? .turin : .milanGenoa }

    /// How many bytes of the chip id KDS takes in a VCEK URL (Turin: the first 8).
    public var kdsChipIDLength: Int { self == .turin ? 8 : 64 }
}
