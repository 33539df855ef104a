/// The SEV-SNP guest policy bits this host's KVM lets through to SNP_LAUNCH_START.
///
/// Linux's `snp_launch_start` (arch/x86/kvm/svm/sev.c) refuses a policy with any bit outside
/// `snp_supported_policy_bits`, or without the must-be-one bit 17, with `-EINVAL` before the
/// firmware sees it: QEMU then prints `SNP_LAUNCH_START ret=-22 fw_error=0 ''` (AMDSEV#240,
/// with MIGRATE_MA, bit 18, which no KVM accepts). Since Linux 6.19 KVM tells userspace which
/// bits it accepts: `KVM_GET_DEVICE_ATTR` on /dev/kvm, group `KVM_X86_GRP_SEV` (1), attribute
/// `KVM_X86_SNP_POLICY_BITS` (1) in include/uapi/asm/kvm.h; the value is the firmware's
/// supported bits (from the CCP driver) ANDed with `KVM_SNP_POLICY_MASK_VALID`. Earlier kernels
/// with SNP (6.11 to 6.18) answer `ENXIO` and check the fixed `SNP_POLICY_MASK_VALID`:
/// ABI minor and major, SMT, bit 17, DEBUG and SINGLE_SOCKET.
public struct KVMSNPPolicyBits: Sendable, Hashable {
    /// The accepted bits.
    public var mask: UInt64
    /// Where `mask` came from, said after it in reports.
    public var source: Source

    public enum Source: String, Sendable, Hashable {
        /// KVM_X86_SNP_POLICY_BITS answered (Linux 6.19 and later).
        case deviceAttribute = "KVM_X86_SNP_POLICY_BITS"
        /// The attribute is not there: the fixed mask of Linux 6.11 to 6.18.
        case fixedMask = "SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18"
    }

    public init(mask: UInt64, source: Source) {
        self.mask = mask
        self.source = source
    }

    /// `SNP_POLICY_MASK_VALID` before Linux 6.19: bits 7:0, 15:8, 16, 17, 19 and 20.
    public static let fixedMask: UInt64 = 0xFFFF | 1 << 16 | 1 << 17 | 1 << 19 | 1 << 20

    /// What KVM accepts when the device attribute is absent.
    public static let beforeLinux619 = KVMSNPPolicyBits(mask: fixedMask, source: .fixedMask)

    /// The bits of `policy` KVM refuses, lowest first.
    public func refusedBits(of policy: UInt64) -> [Int] {
        let refused = policy & ~mask
        return (0..<64).filter { refused >> UInt64($0) & 1 == 1 }
    }

    /// `bit 18 (MIGRATE_MA)`: the policy table's name where there is one.
    public static func describe(bit: Int) -> String {
        if let flag = SNPGuestPolicy.flags.first(where: { $0.bit == bit }) {
            return "bit \(bit) (\(flag.name.uppercased().replacingOccurrences(of: "-", with: "_")))"
        }
        return bit == 17 ? "bit 17 (reserved, must be 1)" : bit < 16 ? "bit \(bit) (ABI version)" : "bit \(bit) (reserved)"
    }

    /// The accepted flags by name (`smt, debug, single-socket`), for `ok` and `show`.
    public var flagNames: [String] {
        SNPGuestPolicy.flags.filter { mask & $0.mask != 0 }.map(\.name)
    }

    /// `0x1bffff` as the kernel prints masks.
    public var hex: String { "0x" + String(mask, radix: 16) }
}
