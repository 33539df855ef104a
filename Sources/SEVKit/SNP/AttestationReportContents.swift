import Crypto

/// The fields a firmware fills into an attestation report (SNP ABI 56860, ATTESTATION_REPORT),
/// before it signs: what a simulated AMD-SP writes, and the inverse of `AttestationReport`'s
/// decoding.
///
/// Version 3 carries the CPUID family, model and stepping at 0x188; version 5 adds the launch
/// and current mitigation vectors at 0x1F8 and 0x200. Reserved bytes are zero.
public struct AttestationReportContents: Sendable, Hashable {
    public var version: UInt32
    public var guestSVN: UInt32 = 0
    public var policy: UInt64
    public var familyID: [UInt8] = Array(repeating: 0, count: 16)
    public var imageID: [UInt8] = Array(repeating: 0, count: 16)
    public var vmpl: UInt32 = 0
    public var currentTCB: TCBVersion
    public var platformInfo: UInt64 = 0
    /// KEY_INFO: AUTHOR_KEY_EN (bit 0), MASK_CHIP_KEY (bit 1), SIGNING_KEY (bits 4:2).
    public var keyInfo: UInt32 = 0
    public var reportData: [UInt8] = Array(repeating: 0, count: 64)
    public var measurement: [UInt8] = Array(repeating: 0, count: 48)
    public var hostData: [UInt8] = Array(repeating: 0, count: 32)
    public var idKeyDigest: [UInt8] = Array(repeating: 0, count: 48)
    public var authorKeyDigest: [UInt8] = Array(repeating: 0, count: 48)
    public var reportID: [UInt8] = Array(repeating: 0, count: 32)
    /// All ones when the guest has no migration agent.
    public var reportIDMA: [UInt8] = Array(repeating: 0xff, count: 32)
    public var reportedTCB: TCBVersion
    public var cpuidFamily: UInt8 = 0
    public var cpuidModel: UInt8 = 0
    public var cpuidStepping: UInt8 = 0
    public var chipID: [UInt8] = Array(repeating: 0, count: 64)
    public var committedTCB: TCBVersion
    /// Firmware version: build, minor, major (current and committed).
    public var currentVersion: (build: UInt8, minor: UInt8, major: UInt8) = (0, 0, 0)
    public var committedVersion: (build: UInt8, minor: UInt8, major: UInt8) = (0, 0, 0)
    public var launchTCB: TCBVersion
    public var launchMitigationVector: UInt64 = 0
    public var currentMitigationVector: UInt64 = 0

    public init(version: UInt32, policy: UInt64, tcb: TCBVersion) {
        self.version = version
        self.policy = policy
        currentTCB = tcb
        reportedTCB = tcb
        committedTCB = tcb
        launchTCB = tcb
    }

    public static func == (a: Self, b: Self) -> Bool { a.unsignedBytes == b.unsignedBytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(unsignedBytes) }

    /// The 0x4A0-byte report with a zero signature.
    public var unsignedBytes: [UInt8] {
        func fixed(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
            precondition(bytes.count == count, "report field of \(count) bytes given \(bytes.count)")
            return bytes
        }
        var w = ByteWriter(capacity: AttestationReport.size)
        w.write(version)
        w.write(guestSVN)
        w.write(policy)
        w.write(bytes: fixed(familyID, 16))
        w.write(bytes: fixed(imageID, 16))
        w.write(vmpl)
        w.write(UInt32(1))  // SIGNATURE_ALGO: ECDSA P-384 with SHA-384
        w.write(currentTCB.raw)
        w.write(platformInfo)
        w.write(keyInfo)
        w.writeZeros(4)
        w.write(bytes: fixed(reportData, 64))
        w.write(bytes: fixed(measurement, 48))
        w.write(bytes: fixed(hostData, 32))
        w.write(bytes: fixed(idKeyDigest, 48))
        w.write(bytes: fixed(authorKeyDigest, 48))
        w.write(bytes: fixed(reportID, 32))
        w.write(bytes: fixed(reportIDMA, 32))
        w.write(reportedTCB.raw)
        if version >= 3 {
            w.write(cpuidFamily)
            w.write(cpuidModel)
            w.write(cpuidStepping)
        }
        w.pad(to: 0x1A0)
        w.write(bytes: fixed(chipID, 64))
        w.write(committedTCB.raw)
        w.write(currentVersion.build)
        w.write(currentVersion.minor)
        w.write(currentVersion.major)
        w.writeZeros(1)
        w.write(committedVersion.build)
        w.write(committedVersion.minor)
        w.write(committedVersion.major)
        w.writeZeros(1)
        w.write(launchTCB.raw)
        if version >= 5 {
            w.write(launchMitigationVector)
            w.write(currentMitigationVector)
        }
        w.pad(to: AttestationReport.size)
        return w.bytes
    }

    /// Signs bytes 0x000–0x29F with `key` (the VCEK) and decodes the result.
    public func signed(by key: P384.Signing.PrivateKey) throws -> AttestationReport {
        var bytes = unsignedBytes
        let signature = try key.signature(for: SHA384.hash(data: bytes[AttestationReport.signedRange]))
        let amd = AMDECDSASignature(signature)
        bytes.replaceSubrange(0x2A0..<(0x2A0 + 2 * AMDECDSASignature.componentSize), with: amd.bytes)
        return try AttestationReport(bytes: bytes, product: currentTCB.layout == .turin ? .turin : nil)
    }
}
