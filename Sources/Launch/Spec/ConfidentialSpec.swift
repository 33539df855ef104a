import SEVKit

/// The `confidential:` section: which SEV generation, the policy, and the launch inputs the
/// firmware consumes.
///
/// The policy is kept as the text the user wrote (hex, decimal or flag names): what it means
/// depends on `type`, so it is interpreted when the spec is resolved, not when it is decoded.
/// Binary inputs for SNP are base64, as QEMU and libvirt take them.
public struct ConfidentialSpec: Codable, Equatable, Sendable {
    public var type: ConfidentialType
    public var policy: String?
    /// How KVM creates an SEV or SEV-ES VM (`legacy` or `init2`), which decides the SEV-ES
    /// VMSAs; default `SEVVMType.qemuDefault`, what QEMU does unless told. SNP is always INIT2.
    public var vmType: SEVVMType?
    /// Have QEMU put kernel, initrd and command-line hashes into the firmware's hash table.
    public var kernelHashes: Bool?
    /// Start paused (`-S`) so a guest owner can measure and inject a secret over QMP.
    public var preAttestation: Bool?

    // SEV / SEV-ES pre-attestation inputs.
    /// Guest owner's Diffie-Hellman certificate (base64 text file).
    public var dhCertFile: String?
    /// Guest owner's launch session blob (base64 text file).
    public var sessionFile: String?

    // SEV-SNP launch inputs.
    /// ID block, base64 of 96 bytes.
    public var idBlock: String?
    /// ID authentication information, base64 of 4096 bytes.
    public var idAuth: String?
    public var authorKeyEnabled: Bool?
    /// Host data echoed into attestation reports, base64 of 32 bytes.
    public var hostData: String?
    /// Guest-visible workarounds, base64 of 16 bytes.
    public var guestVisibleWorkarounds: String?
    /// Sign reports with the VLEK instead of the VCEK.
    public var vcekDisabled: Bool?

    // SEV-SNP: an ID block sevhost builds and signs from the spec itself.
    /// The ID key (P-384 PEM): sevhost computes the launch digest from this spec, builds the ID
    /// block and signs it, so the firmware refuses a launch that differs from what was signed.
    /// A public key is enough to verify reports against the spec.
    public var idKey: String?
    /// The author key (P-384 PEM), which signs the ID key; sets AUTHOR_KEY_EN.
    public var authorKey: String?
    /// FAMILY_ID and IMAGE_ID of the ID block, 16 bytes as hex (default zeros).
    public var familyID: String?
    public var imageID: String?
    /// GUEST_SVN of the ID block (default 0).
    public var guestSVN: UInt32?
    /// The expected launch digest (48 bytes, hex). `--print json` writes the one sevhost computes;
    /// given in a spec, a launch whose computed digest differs is refused.
    public var launchDigest: String?

    public init(
        type: ConfidentialType, policy: String? = nil, vmType: SEVVMType? = nil, kernelHashes: Bool? = nil,
        preAttestation: Bool? = nil,
        dhCertFile: String? = nil, sessionFile: String? = nil,
        idBlock: String? = nil, idAuth: String? = nil, authorKeyEnabled: Bool? = nil,
        hostData: String? = nil, guestVisibleWorkarounds: String? = nil, vcekDisabled: Bool? = nil,
        idKey: String? = nil, authorKey: String? = nil, familyID: String? = nil, imageID: String? = nil,
        guestSVN: UInt32? = nil, launchDigest: String? = nil
    ) {
        self.type = type
        self.policy = policy
        self.vmType = vmType
        self.kernelHashes = kernelHashes
        self.preAttestation = preAttestation
        self.dhCertFile = dhCertFile
        self.sessionFile = sessionFile
        self.idBlock = idBlock
        self.idAuth = idAuth
        self.authorKeyEnabled = authorKeyEnabled
        self.hostData = hostData
        self.guestVisibleWorkarounds = guestVisibleWorkarounds
        self.vcekDisabled = vcekDisabled
        self.idKey = idKey
        self.authorKey = authorKey
        self.familyID = familyID
        self.imageID = imageID
        self.guestSVN = guestSVN
        self.launchDigest = launchDigest
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, policy
        case vmType = "vm-type"
        case kernelHashes = "kernel-hashes"
        case preAttestation = "pre-attestation"
        case dhCertFile = "dh-cert-file"
        case sessionFile = "session-file"
        case idBlock = "id-block"
        case idAuth = "id-auth"
        case authorKeyEnabled = "author-key-enabled"
        case hostData = "host-data"
        case guestVisibleWorkarounds = "guest-visible-workarounds"
        case vcekDisabled = "vcek-disabled"
        case idKey = "id-key"
        case authorKey = "author-key"
        case familyID = "family-id"
        case imageID = "image-id"
        case guestSVN = "guest-svn"
        case launchDigest = "launch-digest"
    }
}

public enum ConfidentialType: String, Codable, Equatable, Sendable, CaseIterable {
    case sev
    case sevES = "sev-es"
    case sevSNP = "sev-snp"
}
