/// What every attestation report of one SEV-SNP guest must show, derived once from what was
/// launched: the measurement, the policy, HOST_DATA and what the ID block asserted (SNP ABI
/// 56860, ATTESTATION_REPORT: zeros where the launch gave no ID block, no author key, no host
/// data).
///
/// Built once per spec and then compared with any number of reports, so checking many reports of
/// one guest costs one comparison each, not one launch-digest computation each.
public struct SNPGuestExpectation: Hashable, Sendable {
    public var measurement: [UInt8]
    public var policy: SNPGuestPolicy
    public var hostData: [UInt8]
    public var idKeyDigest: [UInt8]
    public var authorKeyDigest: [UInt8]
    public var authorKeyEnabled: Bool
    public var familyID: [UInt8]
    public var imageID: [UInt8]
    public var guestSVN: UInt32
    /// The VMPL the reports are requested at: 0 for a guest without an SVSM.
    public var vmpl: UInt32

    /// - Parameters:
    ///   - identity: the ID block and keys of the launch; nil when it had none.
    ///   - hostData: the launch's HOST_DATA (32 bytes); nil when none was given.
    public init(measurement: [UInt8], policy: SNPGuestPolicy, hostData: [UInt8]?, identity: SNPLaunchIdentity?, vmpl: UInt32 = 0) {
        precondition(measurement.count == 48, "an SNP measurement is 48 bytes")
        precondition(hostData.map { $0.count == 32 } ?? true, "HOST_DATA is 32 bytes")
        self.measurement = measurement
        self.policy = policy
        self.hostData = hostData ?? Array(repeating: 0, count: 32)
        idKeyDigest = identity?.idKey.digest ?? Array(repeating: 0, count: 48)
        authorKeyDigest = identity?.authorKey?.digest ?? Array(repeating: 0, count: 48)
        authorKeyEnabled = identity?.authorKey != nil
        familyID = identity?.block.familyID ?? Array(repeating: 0, count: 16)
        imageID = identity?.block.imageID ?? Array(repeating: 0, count: 16)
        guestSVN = identity?.block.guestSVN ?? 0
        self.vmpl = vmpl
    }

    /// One named check per field, each saying what was expected and what the report has.
    public func checks(_ report: AttestationReport) -> [VerificationCheck] {
        func bytes(_ name: String, _ expected: [UInt8], _ actual: [UInt8]) -> VerificationCheck {
            let same = expected == actual
            return VerificationCheck(name, same, same ? Hex.encode(actual) : "expected \(Hex.encode(expected)), report has \(Hex.encode(actual))")
        }
        func number(_ name: String, _ expected: UInt64, _ actual: UInt64, hex: Bool = false) -> VerificationCheck {
            let text = { (v: UInt64) in hex ? "0x" + String(v, radix: 16) : String(v) }
            return VerificationCheck(name, expected == actual, expected == actual ? text(actual) : "expected \(text(expected)), report has \(text(actual))")
        }
        return [
            bytes("measurement", measurement, report.measurement),
            number("policy", policy.rawValue, report.policy, hex: true),
            bytes("host-data", hostData, report.hostData),
            bytes("id-key-digest", idKeyDigest, report.idKeyDigest),
            bytes("author-key-digest", authorKeyDigest, report.authorKeyDigest),
            VerificationCheck(
                "author-key-enabled", authorKeyEnabled == report.keyInfo.authorKeyEnabled,
                "KEY_INFO.AUTHOR_KEY_EN is \(report.keyInfo.authorKeyEnabled ? 1 : 0), expected \(authorKeyEnabled ? 1 : 0)"),
            bytes("family-id", familyID, report.familyID),
            bytes("image-id", imageID, report.imageID),
            number("guest-svn", UInt64(guestSVN), UInt64(report.guestSVN)),
            number("vmpl", UInt64(vmpl), UInt64(report.vmpl)),
        ]
    }
}
