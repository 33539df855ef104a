import SEVKit
import SEVPlatform

/// What a launch needs to know about the host it runs on: the C-bit position and
/// reduced-phys-bits QEMU's guest object takes (CPUID 0x8000001F EBX).
///
/// They come from the user (`--cbitpos`/`--reduced-phys-bits`) or else from the host's CPUID,
/// live or captured (`--host-root`). A host without SEV is not an error here: a libvirt domain
/// or the resolved JSON do not need the values, and a QEMU launch that does says why it cannot
/// go on, with `unknownHint` appended (the probe's reason, or what the daemon's user can do).
public struct HostFacts: Sendable, Equatable {
    public var sev: HostSEVParameters?
    /// Said in parentheses after the refusal of a launch that needs `sev` when it is nil.
    public var unknownHint: String?
    /// The release of the QEMU that runs the launch, when known: QEMU before 9.1 has no
    /// `legacy-vm-type`, so the argv states the SEV VM type only to 9.1 and later (and to a
    /// QEMU of unknown release, which then refuses it rather than creating an unpredicted type).
    public var qemu: QEMUVersion?
    /// The SNP policy bits the host's KVM accepts, when the probe could read them: the launch
    /// is refused for a bit outside them rather than failing at SNP_LAUNCH_START.
    public var snpPolicyBits: KVMSNPPolicyBits?

    public init(sev: HostSEVParameters?, unknownHint: String? = nil, qemu: QEMUVersion? = nil, snpPolicyBits: KVMSNPPolicyBits? = nil) {
        self.sev = sev
        self.unknownHint = unknownHint
        self.qemu = qemu
        self.snpPolicyBits = snpPolicyBits
    }

    /// The release of the QEMU `program` names (a path, or a name in PATH), from its
    /// `--version`; the failure says why it is not known.
    public static func qemuRelease(of program: String) -> Result<QEMUVersion, QEMUVersionError> {
        QEMUInstallation.version(of: program)
    }

    /// A guest owner's view: no host at all (what the measurement depends on never includes the C-bit).
    public static let unknown = HostFacts(sev: nil)

    /// The values given (`--cbitpos` and `--reduced-phys-bits`, both or neither), else the probe
    /// of the captured host at `hostRoot` or of this machine. A capture that cannot be read is
    /// an error; a CPU without SEV leaves `sev` nil with the probe's reason as the hint.
    public static func probe(cbitPosition: Int?, reducedPhysBits: Int?, hostRoot: String?) throws(HostProbeError) -> HostFacts {
        if let cbitPosition, let reducedPhysBits {
            return HostFacts(sev: HostSEVParameters(cbitPosition: cbitPosition, reducedPhysBits: reducedPhysBits))
        }
        let root = try hostRoot.map { path throws(HostProbeError) in try HostRoot(captured: path) } ?? .live
        let probe = try HostProbe(root: root)
        let bits = try? probe.snpPolicyBits().get()
        do {
            return HostFacts(sev: try HostSEVParameters(probe: probe), snpPolicyBits: bits)
        } catch {
            return HostFacts(sev: nil, unknownHint: "host probe: \(error.description)", snpPolicyBits: bits)
        }
    }
}
