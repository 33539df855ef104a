/// The SNP ID block (SNP ABI 56860, SNP_LAUNCH_FINISH "ID Block"), 96 bytes: what the guest
/// owner asserts about the image, signed by the ID key and checked by the firmware at launch.
///
/// launch digest (48) · family id (16) · image id (16) · version (u32, 1) · guest SVN (u32) ·
/// policy (u64). The firmware refuses the launch when the policy here differs from the launch
/// policy, so it must be the exact SNP guest policy the VM is started with.
public struct IDBlock: Hashable, Sendable {
    public static let size = 96
    public static let currentVersion: UInt32 = 1

    public var launchDigest: [UInt8]
    public var familyID: [UInt8]
    public var imageID: [UInt8]
    public var version: UInt32
    public var guestSVN: UInt32
    public var policy: UInt64

    /// Fails (naming the field) when a size is wrong or `policy` cannot be an SNP guest policy.
    public init(
        launchDigest: [UInt8], familyID: [UInt8] = .init(repeating: 0, count: 16),
        imageID: [UInt8] = .init(repeating: 0, count: 16), version: UInt32 = IDBlock.currentVersion,
        guestSVN: UInt32 = 0, policy: UInt64
    ) throws(IDBlockError) {
        guard launchDigest.count == 48 else { throw IDBlockError("measurement: expected 48 bytes (SHA-384), got \(launchDigest.count)") }
        guard familyID.count == 16 else { throw IDBlockError("family id: expected 16 bytes, got \(familyID.count)") }
        guard imageID.count == 16 else { throw IDBlockError("image id: expected 16 bytes, got \(imageID.count)") }
        // Bit 17 of an SNP guest policy is reserved and must be 1; a value without it is not a
        // launch policy (often an SEV policy or a typo) and the firmware would refuse the block.
        guard policy & (1 << 17) != 0 else {
            throw IDBlockError("policy 0x\(String(policy, radix: 16)) is not an SNP launch policy: reserved bit 17 must be 1 (e.g. 0x30000)")
        }
        self.launchDigest = launchDigest
        self.familyID = familyID
        self.imageID = imageID
        self.version = version
        self.guestSVN = guestSVN
        self.policy = policy
    }

    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.write(bytes: launchDigest)
        w.write(bytes: familyID)
        w.write(bytes: imageID)
        w.write(version)
        w.write(guestSVN)
        w.write(policy)
        precondition(w.count == Self.size)
        return w.bytes
    }
}

/// An ID block or ID auth info could not be built.
public struct IDBlockError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
