/// Guest vCPU models and the CPUID signature each one reports.
///
/// QEMU and KVM put the CPUID Fn0000_0001_EAX signature of the configured vCPU model in RDX at
/// reset, and that register is part of the measured VMSA: the vCPU model is therefore part of
/// the launch digest.
public struct VCPUType: Sendable, Hashable {
    public let name: String
    public let family: Int
    public let model: Int
    public let stepping: Int

    public init(name: String, family: Int, model: Int, stepping: Int) {
        self.name = name
        self.family = family
        self.model = model
        self.stepping = stepping
    }

    public var signature: UInt32 { Self.signature(family: family, model: model, stepping: stepping) }

    /// Encodes family/model/stepping as CPUID Fn0000_0001_EAX does (AMD CPUID spec 25481):
    /// families above 0xF put 0xF in the base field and the excess in the extended field.
    public static func signature(family: Int, model: Int, stepping: Int) -> UInt32 {
        let baseFamily = family > 0xf ? 0xf : family
        let extendedFamily = family > 0xf ? (family - 0xf) & 0xff : 0
        let value = (extendedFamily << 20) | (((model >> 4) & 0xf) << 16)
            | ((baseFamily & 0xf) << 8) | ((model & 0xf) << 4) | (stepping & 0xf)
        return UInt32(value)
    }

    /// What CPUID Fn0000_0001_EAX can encode: family 0x0-0xF, or 0xF plus an 8-bit extended
    /// family; an 8-bit model (4 bits base, 4 extended); a 4-bit stepping. A value outside
    /// would not be refused by the encoding but wrap into another one.
    public static let families = 0...(0xf + 0xff)
    public static let models = 0...0xff
    public static let steppings = 0...0xf

    /// Why family/model/stepping cannot be a signature, naming the first field out of range
    /// with the option spelling `names` gives; nil when all three fit.
    public static func outOfRange(family: Int, model: Int, stepping: Int, names: (String, String, String)) -> String? {
        for (value, range, name) in [(family, families, names.0), (model, models, names.1), (stepping, steppings, names.2)]
        where !range.contains(value) {
            return "\(name) \(value): expected \(range.lowerBound) to \(range.upperBound) (what CPUID's signature can encode)"
        }
        return nil
    }

    /// QEMU's AMD EPYC models. The family/model/stepping of each was read from QEMU
    /// (`query-cpu-model-expansion`) and agrees with sev-snp-measure's table.
    public static let known: [VCPUType] = {
        let naples = (23, 1, 2), rome = (23, 49, 0), milan = (25, 1, 1), genoa = (25, 17, 0), turin = (26, 0, 0)
        let table: [(String, (Int, Int, Int))] = [
            ("EPYC", naples), ("EPYC-v1", naples), ("EPYC-v2", naples), ("EPYC-IBPB", naples),
            ("EPYC-v3", naples), ("EPYC-v4", naples),
            ("EPYC-Rome", rome), ("EPYC-Rome-v1", rome), ("EPYC-Rome-v2", rome), ("EPYC-Rome-v3", rome),
            ("EPYC-Rome-v4", rome),
            ("EPYC-Milan", milan), ("EPYC-Milan-v1", milan), ("EPYC-Milan-v2", milan),
            ("EPYC-Genoa", genoa), ("EPYC-Genoa-v1", genoa),
            ("EPYC-Turin", turin),
        ]
        return table.map { VCPUType(name: $0.0, family: $0.1.0, model: $0.1.1, stepping: $0.1.2) }
    }()

    /// The model called `name` (exact, as QEMU spells it), nil when unknown.
    public static func named(_ name: String) -> VCPUType? {
        known.first { $0.name == name }
    }
}
