/// The two host facts every SEV guest object needs: where the C-bit sits in a page-table entry
/// and how many physical address bits memory encryption takes away.
///
/// They differ between CPU generations (CPUID 0x8000001F EBX[5:0] and EBX[11:6]), which is why
/// the builder takes them as input — from the host probe, QEMU's `query-sev-capabilities`, or an
/// explicit override — and never assumes the `cbitpos=51,reduced-phys-bits=1` of the guides.
public struct HostSEVParameters: Equatable, Hashable, Sendable {
    public var cbitPosition: Int
    public var reducedPhysBits: Int

    public init(cbitPosition: Int, reducedPhysBits: Int) {
        self.cbitPosition = cbitPosition
        self.reducedPhysBits = reducedPhysBits
    }

    /// Decodes CPUID Fn8000_001F EBX. Nil when the C-bit field is zero (no SEV, or hidden).
    public init?(cpuidEBX ebx: UInt32) {
        let cbit = Self.cbitPosition(cpuidEBX: ebx)
        guard cbit != 0 else { return nil }
        self.init(cbitPosition: cbit, reducedPhysBits: Self.reducedPhysBits(cpuidEBX: ebx))
    }

    /// EBX[5:0]: the C-bit position, as the register holds it (zero on a CPU without SEV).
    public static func cbitPosition(cpuidEBX ebx: UInt32) -> Int { Int(ebx & 0x3f) }

    /// EBX[11:6]: the physical address bits memory encryption takes away.
    public static func reducedPhysBits(cpuidEBX ebx: UInt32) -> Int { Int(ebx >> 6 & 0x3f) }
}
