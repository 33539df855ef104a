/// A TCB version: the security patch levels (SPLs) of the firmware components that a VCEK is
/// derived from and that a report claims.
///
/// The 64-bit value is one of two layouts, and nothing inside the value says which: Milan and
/// Genoa put the bootloader SPL in byte 0, while Turin adds an FMC SPL in byte 0 and shifts the
/// rest. The layout therefore travels with the value, chosen from the product (a report version
/// 3+ names its CPU family; otherwise the caller knows the product).
public struct TCBVersion: Hashable, Sendable {
    /// Which byte holds which SPL.
    public enum Layout: String, Sendable, Hashable {
        /// byte0 bootloader, byte1 tee, bytes2-5 reserved, byte6 snp, byte7 microcode.
        case milanGenoa
        /// byte0 fmc, byte1 bootloader, byte2 tee, byte3 snp, bytes4-6 reserved, byte7 microcode.
        case turin
    }

    public var raw: UInt64
    public var layout: Layout

    public init(raw: UInt64, layout: Layout) {
        self.raw = raw
        self.layout = layout
    }

    /// Builds the value from its SPLs (the inverse of the accessors below).
    public init(layout: Layout, fmc: UInt8? = nil, bootloader: UInt8, tee: UInt8, snp: UInt8, microcode: UInt8) {
        var bytes = [UInt8](repeating: 0, count: 8)
        switch layout {
        case .milanGenoa:
            bytes[0] = bootloader; bytes[1] = tee; bytes[6] = snp
        case .turin:
            bytes[0] = fmc ?? 0; bytes[1] = bootloader; bytes[2] = tee; bytes[3] = snp
        }
        bytes[7] = microcode
        self.init(raw: UInt64(littleEndianBytes: bytes), layout: layout)
    }

    private func byte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: raw >> (8 * index)) }

    /// The FMC SPL; only Turin has one.
    public var fmc: UInt8? { layout == .turin ? byte(0) : nil }
    public var bootloader: UInt8 { layout == .turin ? byte(1) : byte(0) }
    public var tee: UInt8 { layout == .turin ? byte(2) : byte(1) }
    public var snp: UInt8 { layout == .turin ? byte(3) : byte(6) }
    public var microcode: UInt8 { byte(7) }

    /// True when every SPL is at least the one in `minimum` (the relation `--min-tcb` needs:
    /// TCB values are not ordered as integers, each component is compared on its own).
    public func meetsMinimum(_ minimum: TCBVersion) -> Bool {
        bootloader >= minimum.bootloader && tee >= minimum.tee && snp >= minimum.snp
            && microcode >= minimum.microcode && (fmc ?? 0) >= (minimum.fmc ?? 0)
    }

    /// `bl=3 tee=0 snp=8 ucode=115` (with `fmc=` first on Turin).
    public var summary: String {
        var parts: [String] = []
        if let fmc { parts.append("fmc=\(fmc)") }
        parts += ["bl=\(bootloader)", "tee=\(tee)", "snp=\(snp)", "ucode=\(microcode)"]
        return parts.joined(separator: " ")
    }

    /// `0x7308000000000003`: the raw value as AMD tools print it.
    public var hex: String { "0x" + String(raw, radix: 16).leftPadded(to: 16) }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
