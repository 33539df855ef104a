/// An SEV-SNP attestation report (SNP firmware ABI 56860, ATTESTATION_REPORT, 0x4A0 bytes).
///
/// Versions 2 (Milan/Genoa firmware up to 1.55), 3 (adds the CPUID family/model/stepping at
/// 0x188) and 5 (adds the launch/current mitigation vectors at 0x1F8/0x200) are decoded; a later
/// version with the same size is decoded as 5 would be, a smaller one is refused. The raw bytes
/// are kept because the signature covers them exactly as produced by the firmware.
public struct AttestationReport: Hashable, Sendable {
    /// Size of every report version in the wild.
    public static let size = 0x4A0
    /// The signature covers bytes 0x000..<0x2A0.
    public static let signedRange = 0..<0x2A0
    public static let supportedVersions: ClosedRange<UInt32> = 2...5

    /// The bytes as read.
    public let bytes: [UInt8]

    public let version: UInt32
    public let guestSVN: UInt32
    /// The guest policy (SNP ABI "Guest Policy") as the report holds it; `guestPolicy` names its bits.
    public let policy: UInt64
    public let familyID: [UInt8]
    public let imageID: [UInt8]
    public let vmpl: UInt32
    /// 1 = ECDSA P-384 with SHA-384.
    public let signatureAlgorithm: UInt32
    public let currentTCB: TCBVersion
    public let platformInfo: PlatformInfo
    public let keyInfo: ReportKeyInfo
    public let reportData: [UInt8]
    public let measurement: [UInt8]
    public let hostData: [UInt8]
    public let idKeyDigest: [UInt8]
    public let authorKeyDigest: [UInt8]
    public let reportID: [UInt8]
    public let reportIDMA: [UInt8]
    public let reportedTCB: TCBVersion
    /// CPUID family/model/stepping of the chip (version 3 and later; nil before).
    public let cpuidFamily: UInt8?
    public let cpuidModel: UInt8?
    public let cpuidStepping: UInt8?
    /// 64 bytes; on Turin only the first 8 identify the chip.
    public let chipID: [UInt8]
    public let committedTCB: TCBVersion
    public let currentBuild: UInt8
    public let currentMinor: UInt8
    public let currentMajor: UInt8
    public let committedBuild: UInt8
    public let committedMinor: UInt8
    public let committedMajor: UInt8
    public let launchTCB: TCBVersion
    /// Mitigation vectors (version 5 and later).
    public let launchMitigationVector: UInt64?
    public let currentMitigationVector: UInt64?
    public let signature: AMDECDSASignature

    /// The product inferred from the report itself (version 3+ CPUID fields); nil for version 2.
    public var inferredProduct: AMDProduct? {
        guard let cpuidFamily, let cpuidModel else { return nil }
        return AMDProduct(family: UInt32(cpuidFamily), model: UInt32(cpuidModel))
    }

    /// `policy` with its bits named, by the same type a launch's policy is.
    public var guestPolicy: SNPGuestPolicy { SNPGuestPolicy(rawValue: policy) }

    /// The bytes the signature covers.
    public var signedBytes: ArraySlice<UInt8> { bytes[Self.signedRange] }

    /// Decodes a report. `product` chooses the TCB layout when the report cannot say (version 2);
    /// when neither says, the Milan/Genoa layout is assumed.
    public init(bytes: [UInt8], product: AMDProduct? = nil) throws(ByteDecodingError) {
        let context = "attestation report"
        guard bytes.count == Self.size else {
            throw ByteDecodingError(
                context: context, offset: min(bytes.count, Self.size),
                reason: "expected \(Self.size) bytes, got \(bytes.count)")
        }
        var r = ByteReader(bytes, context: context)
        self.bytes = bytes
        version = try r.readInteger(field: "VERSION")
        guard Self.supportedVersions.contains(version) else {
            throw ByteDecodingError(
                context: context, offset: 0,
                reason: "VERSION: expected 2, 3 or 5 (ABI 56860), found \(version)")
        }
        guestSVN = try r.readInteger(field: "GUEST_SVN")
        policy = try r.readInteger(field: "POLICY")
        familyID = try r.readBytes(16, field: "FAMILY_ID")
        imageID = try r.readBytes(16, field: "IMAGE_ID")
        vmpl = try r.readInteger(field: "VMPL")
        signatureAlgorithm = try r.readInteger(field: "SIGNATURE_ALGO")
        let currentRaw: UInt64 = try r.readInteger(field: "CURRENT_TCB")
        platformInfo = PlatformInfo(raw: try r.readInteger(field: "PLATFORM_INFO"))
        keyInfo = ReportKeyInfo(raw: try r.readInteger(field: "KEY_INFO"))
        try r.skip(4)
        reportData = try r.readBytes(64, field: "REPORT_DATA")
        measurement = try r.readBytes(48, field: "MEASUREMENT")
        hostData = try r.readBytes(32, field: "HOST_DATA")
        idKeyDigest = try r.readBytes(48, field: "ID_KEY_DIGEST")
        authorKeyDigest = try r.readBytes(48, field: "AUTHOR_KEY_DIGEST")
        reportID = try r.readBytes(32, field: "REPORT_ID")
        reportIDMA = try r.readBytes(32, field: "REPORT_ID_MA")
        let reportedRaw: UInt64 = try r.readInteger(field: "REPORTED_TCB")
        if version >= 3 {
            cpuidFamily = try r.readInteger(field: "CPUID_FAM_ID")
            cpuidModel = try r.readInteger(field: "CPUID_MOD_ID")
            cpuidStepping = try r.readInteger(field: "CPUID_STEP")
        } else {
            cpuidFamily = nil
            cpuidModel = nil
            cpuidStepping = nil
        }
        try r.seek(to: 0x1A0)
        chipID = try r.readBytes(64, field: "CHIP_ID")
        let committedRaw: UInt64 = try r.readInteger(field: "COMMITTED_TCB")
        currentBuild = try r.readInteger(field: "CURRENT_BUILD")
        currentMinor = try r.readInteger(field: "CURRENT_MINOR")
        currentMajor = try r.readInteger(field: "CURRENT_MAJOR")
        try r.skip(1)
        committedBuild = try r.readInteger(field: "COMMITTED_BUILD")
        committedMinor = try r.readInteger(field: "COMMITTED_MINOR")
        committedMajor = try r.readInteger(field: "COMMITTED_MAJOR")
        try r.skip(1)
        let launchRaw: UInt64 = try r.readInteger(field: "LAUNCH_TCB")
        if version >= 5 {
            launchMitigationVector = try r.readInteger(field: "LAUNCH_MIT_VECTOR")
            currentMitigationVector = try r.readInteger(field: "CURRENT_MIT_VECTOR")
        } else {
            launchMitigationVector = nil
            currentMitigationVector = nil
        }
        try r.seek(to: 0x2A0)
        let sigR = try r.readBytes(72, field: "SIGNATURE.R")
        let sigS = try r.readBytes(72, field: "SIGNATURE.S")
        signature = AMDECDSASignature(r: sigR, s: sigS)

        var inferred: AMDProduct? = nil
        if let f = cpuidFamily, let m = cpuidModel { inferred = AMDProduct(family: UInt32(f), model: UInt32(m)) }
        let layout = (product ?? inferred).map { TCBVersion.Layout(product: $0) } ?? .milanGenoa
        currentTCB = TCBVersion(raw: currentRaw, layout: layout)
        reportedTCB = TCBVersion(raw: reportedRaw, layout: layout)
        committedTCB = TCBVersion(raw: committedRaw, layout: layout)
        launchTCB = TCBVersion(raw: launchRaw, layout: layout)
    }
}
