/// Which hypervisor stack creates the guest's initial vCPU state.
///
/// QEMU/KVM, AWS EC2 and Google GCE start vCPUs with slightly different registers (segment
/// attributes, RDX, PAT, x87/SSE control words) and EC2/GCE also measure some metadata pages
/// differently, so the same firmware gives a different launch digest on each.
public enum VMMType: String, Sendable, Hashable, CaseIterable {
    case qemu = "QEMU"
    case ec2 = "EC2"
    case gce = "GCE"

    /// Accepts the names sev-snp-measure takes (`QEMU`, `ec2`, `gce`) in any case.
    public init?(name: String) {
        switch name.lowercased() {
        case "qemu": self = .qemu
        case "ec2": self = .ec2
        case "gce": self = .gce
        default: return nil
        }
    }
}
