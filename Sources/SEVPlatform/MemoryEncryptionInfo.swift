/// The host values a confidential guest's launch depends on: where the C-bit is and how many
/// physical address bits encryption takes (CPUID 0x8000001F EBX). QEMU needs both as
/// `cbitpos` and `reduced-phys-bits`; guides that hard-code 51 and 1 are wrong on Genoa and Turin.
public struct MemoryEncryptionInfo: Sendable, Equatable {
    public var cbitPosition: Int
    public var reducedPhysBits: Int

    public init(cbitPosition: Int, reducedPhysBits: Int) {
        self.cbitPosition = cbitPosition
        self.reducedPhysBits = reducedPhysBits
    }

    /// Reads the host's values; fails when the CPU does not report SEV (leaf 0x8000001F EAX
    /// bit 1 clear), since a zero there is no C-bit position at all.
    public init(probe: HostProbe) throws(MemoryEncryptionUnavailable) {
        let leaf = probe.cpuid(CPUIDLeaf.memoryEncryption)
        guard leaf.eax & (1 << 1) != 0 else {
            throw MemoryEncryptionUnavailable(
                reason: "this CPU does not report SEV (CPUID 0x8000001F EAX bit 1 is clear)\(probe.runsUnderHypervisor ? "; it is a virtual machine: ask the bare-metal host" : "")")
        }
        cbitPosition = Int(leaf.ebx & 0x3f)
        reducedPhysBits = Int((leaf.ebx >> 6) & 0x3f)
    }
}

/// The host has no SEV memory-encryption values to give.
public struct MemoryEncryptionUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
