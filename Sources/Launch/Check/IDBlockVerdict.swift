import SEVKit

/// What SNP_LAUNCH_FINISH will answer for an ID block, before the launch.
///
/// The SNP firmware ABI (56860, SNP_LAUNCH_FINISH) checks, with ID_BLOCK_EN set: the block's LD
/// against the guest's launch digest (else BAD_MEASUREMENT), then its POLICY against the guest's
/// policy (else POLICY_FAILURE), then the ID key's signature on the block and, with
/// AUTHOR_KEY_EN, the author key's on the ID key (else BAD_SIGNATURE) — so a block wrong in both
/// digest and policy reports BAD_MEASUREMENT only (AMDSEV#212). Signatures are not checked here:
/// the ID auth structure is decoded by SNP end to end (issue 16), whose firmware check replaces
/// this one when it lands.
public struct IDBlockVerdict: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case passes
        /// The block's LD and the digest these inputs give, hex.
        case badMeasurement(signed: String, predicted: String)
        /// The block's policy.
        case policyFailure(blockPolicy: UInt64)
        /// The digest could not be predicted; the policies match.
        case digestUnknown(String)
    }

    public var outcome: Outcome
    /// With BAD_MEASUREMENT: whether the policy, checked after, differs as well.
    public var policyAlsoDiffers: Bool
    /// Whether the digest was compared.
    public var digestChecked: Bool

    /// - Parameters:
    ///   - block: the 96-byte ID block (LD 48, FAMILY_ID 16, IMAGE_ID 16, VERSION 4, GUEST_SVN 4, POLICY 8 at 88).
    ///   - predictedDigest: the launch digest of these inputs, or why it is unknown.
    public init(block: [UInt8], launchPolicy: UInt64, predictedDigest: Result<[UInt8], LaunchCheckInputError>?) {
        precondition(block.count == IDBlock.size)
        let signed = Array(block[0..<48])
        var policy: UInt64 = 0
        for (index, byte) in block[88..<96].enumerated() { policy |= UInt64(byte) << (8 * UInt64(index)) }
        let policyDiffers = policy != launchPolicy
        policyAlsoDiffers = false
        switch predictedDigest {
        case .success(let digest) where digest != signed:
            outcome = .badMeasurement(signed: Hex.encode(signed), predicted: Hex.encode(digest))
            policyAlsoDiffers = policyDiffers
            digestChecked = true
            return
        case .success:
            digestChecked = true
        case .failure, nil:
            digestChecked = false
        }
        if policyDiffers {
            outcome = .policyFailure(blockPolicy: policy)
        } else if case .failure(let why) = predictedDigest {
            outcome = .digestUnknown(why.description)
        } else if predictedDigest == nil {
            outcome = .digestUnknown("no digest was predicted")
        } else {
            outcome = .passes
        }
    }
}
