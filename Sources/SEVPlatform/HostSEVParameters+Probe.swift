import SEVKit

extension HostSEVParameters {
    /// The host's values, from its CPUID (live or captured); fails when the CPU does not report
    /// SEV (leaf 0x8000001F EAX bit 1 clear), since a zero there is no C-bit position at all.
    /// QEMU needs both as `cbitpos` and `reduced-phys-bits`; guides that hard-code 51 and 1 are
    /// wrong on Genoa and Turin.
    public init(probe: HostProbe) throws(MemoryEncryptionUnavailable) {
        let leaf = probe.cpuid(CPUIDLeaf.memoryEncryption)
        guard leaf.eax & (1 << 1) != 0 else {
            throw MemoryEncryptionUnavailable(
                reason: "this CPU does not report SEV (CPUID 0x8000001F EAX bit 1 is clear)\(probe.runsUnderHypervisor ? "; it is a virtual machine: ask the bare-metal host" : "")")
        }
        self.init(
            cbitPosition: Self.cbitPosition(cpuidEBX: leaf.ebx), reducedPhysBits: Self.reducedPhysBits(cpuidEBX: leaf.ebx))
    }
}

/// The host has no SEV memory-encryption values to give.
public struct MemoryEncryptionUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
