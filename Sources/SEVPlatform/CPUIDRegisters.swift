import CHostProbe

/// The four registers one CPUID leaf/subleaf returns.
public struct CPUIDRegisters: Sendable, Equatable {
    public var eax: UInt32
    public var ebx: UInt32
    public var ecx: UInt32
    public var edx: UInt32

    public init(eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        self.eax = eax
        self.ebx = ebx
        self.ecx = ecx
        self.edx = edx
    }

    public static let zero = CPUIDRegisters(eax: 0, ebx: 0, ecx: 0, edx: 0)

    /// Executes CPUID on this CPU; nil off x86.
    static func live(leaf: UInt32, subleaf: UInt32) -> CPUIDRegisters? {
        var regs = csev_cpuid_regs()
        guard csev_cpuid(leaf, subleaf, &regs) == 0 else { return nil }
        return CPUIDRegisters(eax: regs.eax, ebx: regs.ebx, ecx: regs.ecx, edx: regs.edx)
    }
}

/// The CPUID leaves the probe reads, and so the leaves a capture records.
public enum CPUIDLeaf {
    /// Vendor string in EBX, EDX, ECX.
    public static let vendor: UInt32 = 0x0000_0000
    /// Family/model/stepping in EAX; ECX bit 31 is set under a hypervisor.
    public static let features: UInt32 = 0x0000_0001
    /// Highest extended leaf.
    public static let extendedMax: UInt32 = 0x8000_0000
    /// Processor brand string, 16 bytes per leaf.
    public static let brand: [UInt32] = [0x8000_0002, 0x8000_0003, 0x8000_0004]
    /// AMD memory encryption: EAX feature bits, EBX C-bit/phys-bit reduction/VMPLs,
    /// ECX number of encrypted guests, EDX minimum SEV-only ASID.
    public static let memoryEncryption: UInt32 = 0x8000_001f

    public static let captured: [UInt32] = [vendor, features, extendedMax] + brand + [memoryEncryption]
}
