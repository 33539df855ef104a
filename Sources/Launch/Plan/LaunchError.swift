/// Why a spec cannot be launched as written. Every case is a refusal that happens before any
/// argument vector or XML is emitted, and its text names the spec field at fault.
public enum LaunchError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidField(field: String, problem: String)
    case invalidPolicy(text: String, problem: String)
    case snpWithPflash(reason: String)
    case snpPolicyWithoutReservedBit(policy: String)
    case policyReservedBits(policy: String, bits: String)
    case typePolicyMismatch(type: ConfidentialType, policy: String)
    case firmwareNotESCapable(path: String)
    case firmwareWithoutHashTable(path: String, type: ConfidentialType)
    case firmwareWithoutSEVMetadata(path: String)
    case kernelHashesWithoutKernel
    case fieldNotForType(field: String, type: ConfidentialType)
    case invalidBase64(field: String)
    case wrongLength(field: String, actual: Int, expected: Int)
    case idBlockPolicyMismatch(idBlock: String, launch: String)
    /// An inline ID block signed for another launch digest than the spec's inputs give.
    case idBlockDigestMismatch(idBlock: String, spec: String)
    /// The spec's pinned `launch-digest` is not the digest of its inputs.
    case launchDigestMismatch(pinned: String, computed: String)
    case debugOnProduction(policy: String, reason: String)
    case preAttestationWithoutQMP
    case unreadableFile(field: String, path: String, reason: String)
    case hostParametersUnknown
    /// The VM type cannot be had from this QEMU, or not through libvirt.
    case vmTypeUnavailable(String)
    /// The SNP policy sets bits the host's KVM refuses at SNP_LAUNCH_START (`KVMSNPPolicyBits`).
    case kvmRefusesPolicyBits(policy: String, bits: String, accepted: String)

    public var description: String {
        switch self {
        case .invalidField(let field, let problem):
            "\(field): \(problem)"
        case .invalidPolicy(let text, let problem):
            "confidential.policy: cannot read '\(text)': \(problem)"
        case .snpWithPflash(let reason):
            "firmware: SEV-SNP guests boot firmware with -bios, never from pflash (\(reason))"
        case .snpPolicyWithoutReservedBit(let policy):
            "confidential.policy: SNP policy \(policy) lacks bit 17, which is reserved and must be 1; the firmware rejects it"
        case .policyReservedBits(let policy, let bits):
            "confidential.policy: policy \(policy) sets reserved bits \(bits), which must be zero"
        case .typePolicyMismatch(let type, let policy):
            type == .sevES
                ? "confidential.policy: type sev-es needs the ES bit (0x4) in the policy, got \(policy)"
                : "confidential.policy: policy \(policy) sets the ES bit (0x4); use type sev-es"
        case .firmwareNotESCapable(let path):
            "firmware.path: \(path) is not SEV-ES capable (no SEV-ES reset block), but the policy sets ES"
        case .firmwareWithoutHashTable(let path, let type):
            type == .sevSNP
                ? "confidential.kernel-hashes: firmware \(path) has no SNP kernel hashes section"
                : "confidential.kernel-hashes: firmware \(path) has no SEV hash table"
        case .firmwareWithoutSEVMetadata(let path):
            "firmware.path: \(path) has no SEV metadata, which SEV-SNP needs"
        case .kernelHashesWithoutKernel:
            "confidential.kernel-hashes: needs direct kernel boot (a kernel: section)"
        case .fieldNotForType(let field, let type):
            "confidential.\(field): does not apply to type \(type.rawValue)"
        case .invalidBase64(let field):
            "confidential.\(field): is not valid base64"
        case .wrongLength(let field, let actual, let expected):
            "confidential.\(field): is \(actual) bytes after base64 decoding; expected \(expected)"
        case .idBlockPolicyMismatch(let idBlock, let launch):
            "confidential.id-block: its policy \(idBlock) differs from the launch policy \(launch); the firmware rejects the launch"
        case .idBlockDigestMismatch(let idBlock, let spec):
            "confidential.id-block: its launch digest \(idBlock) differs from \(spec), the digest of this spec's firmware, kernel hashes and vCPUs; the firmware rejects the launch (BAD_MEASUREMENT)"
        case .launchDigestMismatch(let pinned, let computed):
            "confidential.launch-digest: \(pinned) is not the digest of this spec's firmware, kernel hashes and vCPUs, which is \(computed)"
        case .debugOnProduction(let policy, let reason):
            "confidential.policy: \(policy) \(reason) on a production spec; set allow-debug: true (or production: false) to allow it"
        case .preAttestationWithoutQMP:
            "confidential.pre-attestation: needs a qmp: socket to drive the paused guest"
        case .unreadableFile(let field, let path, let reason):
            "\(field): cannot read \(path): \(reason)"
        case .hostParametersUnknown:
            "the host's C-bit position and reduced-phys-bits are unknown: pass --cbitpos and --reduced-phys-bits"
        case .vmTypeUnavailable(let reason):
            "confidential.vm-type: \(reason)"
        case .kvmRefusesPolicyBits(let policy, let bits, let accepted):
            "confidential.policy: SNP policy \(policy) sets \(bits), which the host's KVM does not accept (\(accepted)): SNP_LAUNCH_START would fail with ret=-22 fw_error=0"
        }
    }
}

extension LaunchError {
    /// The spec field the refusal is about (dotted path, as in the message), for locating it in
    /// the file; nil for refusals that are not about one field.
    public var field: String? {
        switch self {
        case .invalidField(let field, _): field
        case .invalidPolicy, .snpPolicyWithoutReservedBit, .policyReservedBits, .typePolicyMismatch, .debugOnProduction,
             .kvmRefusesPolicyBits:
            "confidential.policy"
        case .snpWithPflash(let reason): reason.hasPrefix("firmware.vars") ? "firmware.vars" : "firmware.mode"
        case .firmwareNotESCapable, .firmwareWithoutSEVMetadata: "firmware.path"
        case .firmwareWithoutHashTable, .kernelHashesWithoutKernel: "confidential.kernel-hashes"
        case .fieldNotForType(let field, _), .invalidBase64(let field), .wrongLength(let field, _, _):
            "confidential.\(field)"
        case .idBlockPolicyMismatch, .idBlockDigestMismatch: "confidential.id-block"
        case .launchDigestMismatch: "confidential.launch-digest"
        case .preAttestationWithoutQMP: "confidential.pre-attestation"
        case .unreadableFile(let field, _, _): field
        case .vmTypeUnavailable: "confidential.vm-type"
        case .hostParametersUnknown: nil
        }
    }
}
