/// Guest memory, held in MiB: QEMU's `-m`, the SNP memory backend and libvirt's `<memory>` are
/// all written from this one value, so they cannot disagree.
///
/// Read from an integer (MiB) or a string with a binary suffix: `4096`, `4096M`, `4G`, `4GiB`.
public struct MemorySize: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var mebibytes: UInt64

    public init(mebibytes: UInt64) { self.mebibytes = mebibytes }

    /// The largest guest memory a spec may ask for: 16 TiB, above the largest AMD host (two
    /// sockets of 6 TiB) and far below where byte counts overflow.
    public static let maximumMebibytes: UInt64 = 16 << 20

    /// nil when `text` is not a positive size in whole MiB.
    public init?(parsing text: String) {
        var digits = Substring(text)
        var scale: UInt64 = 1
        let suffixes: [(String, UInt64)] = [("GiB", 1024), ("MiB", 1), ("G", 1024), ("M", 1)]
        for (suffix, factor) in suffixes where digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            scale = factor
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = UInt64(digits), value > 0
        else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        guard !overflow, product <= Self.maximumMebibytes else { return nil }
        self.init(mebibytes: product)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(UInt64.self), number > 0 {
            guard number <= Self.maximumMebibytes else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "\(number) MiB is more than the \(Self.maximumMebibytes >> 20) TiB a guest may have")
            }
            self.init(mebibytes: number)
            return
        }
        let text = try container.decode(String.self)
        guard let size = MemorySize(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text.prefix(40))' is not a memory size (expected MiB or a size such as 4096M or 4G, at most \(Self.maximumMebibytes >> 20) TiB)")
        }
        self = size
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// `4G` when a whole number of GiB, else `NM`.
    public var description: String {
        mebibytes % 1024 == 0 ? "\(mebibytes / 1024)G" : "\(mebibytes)M"
    }
}
