/// An SNP TCB version: the security patch levels of each firmware component, packed in 64 bits.
///
/// The packing depends on the product (SNP ABI 56860, "TCB_VERSION"): Milan and Genoa put the
/// boot loader in byte 0, the TEE in byte 1, SNP in byte 6 and microcode in byte 7; Turin adds
/// an FMC level in byte 0 and moves the others to bytes 1, 2, 3 (microcode stays in byte 7).
/// Comparing raw integers across the two layouts is meaningless, so the layout travels with it.
public struct TCBVersion: Sendable, Equatable, Hashable {
    public enum Layout: Sendable, Equatable, Hashable {
        /// Milan, Genoa (and Genoa's variants).
        case milanGenoa
        /// Turin and later: with an FMC byte.
        case turin

        public init(product: AMDProduct) {
            self = product == .turin ? .turin : .milanGenoa
        }
    }

    public var raw: UInt64
    public var layout: Layout

    public init(raw: UInt64, layout: Layout) {
        self.raw = raw
        self.layout = layout
    }

    public init(bootloader: UInt8, tee: UInt8, snp: UInt8, microcode: UInt8, fmc: UInt8? = nil) {
        if let fmc {
            raw = UInt64(fmc) | UInt64(bootloader) << 8 | UInt64(tee) << 16 | UInt64(snp) << 24 | UInt64(microcode) << 56
            layout = .turin
        } else {
            raw = UInt64(bootloader) | UInt64(tee) << 8 | UInt64(snp) << 48 | UInt64(microcode) << 56
            layout = .milanGenoa
        }
    }

    private func byte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: raw >> (index * 8)) }

    public var bootloader: UInt8 { layout == .turin ? byte(1) : byte(0) }
    public var tee: UInt8 { layout == .turin ? byte(2) : byte(1) }
    public var snp: UInt8 { layout == .turin ? byte(3) : byte(6) }
    public var microcode: UInt8 { byte(7) }
    /// The FMC level; Turin and later only.
    public var fmc: UInt8? { layout == .turin ? byte(0) : nil }

    /// Whether every component of `self` is at least that of `other` (same layout required).
    public func isAtLeast(_ other: TCBVersion) -> Bool {
        guard layout == other.layout else { return false }
        return bootloader >= other.bootloader && tee >= other.tee && snp >= other.snp
            && microcode >= other.microcode && (fmc ?? 0) >= (other.fmc ?? 0)
    }
}

extension TCBVersion: CustomStringConvertible {
    /// One line, every component named: `bootloader 3, tee 0, snp 8, microcode 115`.
    public var description: String {
        var parts = [String]()
        if let fmc { parts.append("fmc \(fmc)") }
        parts += ["bootloader \(bootloader)", "tee \(tee)", "snp \(snp)", "microcode \(microcode)"]
        return parts.joined(separator: ", ")
    }
}

extension TCBVersion {
    /// The raw value and each SPL by name, as JSON (`report show`, `show tcb --json`); FMC only
    /// in the layouts that have it.
    public var fields: [(String, OrderedJSON)] {
        var fields: [(String, OrderedJSON)] = [("raw", .string(hex))]
        if let fmc { fields.append(("fmc", .uint(UInt64(fmc)))) }
        return fields + [("bootloader", .uint(UInt64(bootloader))), ("tee", .uint(UInt64(tee))),
                         ("snp", .uint(UInt64(snp))), ("microcode", .uint(UInt64(microcode)))]
    }
}
