import SEVKit

/// The ID block a spec asks sevhost to build and sign (`confidential.id-key` and its fields),
/// checked when the spec is resolved; the keys are read and the block signed only once the
/// launch digest is known (`SNPLaunchPreparation` in Orchestration).
public struct SNPSigningRequest: Equatable, Sendable {
    /// P-384 PEM of the ID key.
    public var idKeyPath: String
    /// P-384 PEM of the author key; its presence turns AUTHOR_KEY_EN on.
    public var authorKeyPath: String?
    public var familyID: [UInt8]
    public var imageID: [UInt8]
    public var guestSVN: UInt32

    public init(idKeyPath: String, authorKeyPath: String?, familyID: [UInt8], imageID: [UInt8], guestSVN: UInt32) {
        self.idKeyPath = idKeyPath
        self.authorKeyPath = authorKeyPath
        self.familyID = familyID
        self.imageID = imageID
        self.guestSVN = guestSVN
    }

    /// The block for `launchDigest` and `policy` (the launch's own: the firmware compares both).
    public func block(launchDigest: [UInt8], policy: UInt64) throws(IDBlockError) -> IDBlock {
        try IDBlock(launchDigest: launchDigest, familyID: familyID, imageID: imageID, guestSVN: guestSVN, policy: policy)
    }
}

/// The SNP identity fields of a resolved spec.
struct SNPIdentityFields {
    var signing: SNPSigningRequest?
    var inlineBlock: IDBlock?
    var pinnedDigest: [UInt8]?
}

extension LaunchPlan {
    /// Either sevhost signs (`id-key`, optionally `author-key`, `family-id`, `image-id`,
    /// `guest-svn`) or the spec carries a finished block (`id-block`, `id-auth`): both at once
    /// would leave two answers to "what does the firmware check", so it is refused.
    static func checkSNPIdentity(_ c: ConfidentialSpec, inlineBlock: [UInt8]?) throws(LaunchError) -> SNPIdentityFields {
        var fields = SNPIdentityFields()
        if let text = c.launchDigest {
            fields.pinnedDigest = try hexField(text, field: "launch-digest", length: 48)
        }
        if let inlineBlock {
            do {
                fields.inlineBlock = try IDBlock(bytes: inlineBlock)
            } catch {
                throw .invalidField(field: "confidential.id-block", problem: error.description)
            }
        }
        guard let idKey = c.idKey else {
            let needsKey: [(String, Bool)] = [
                ("author-key", c.authorKey != nil), ("family-id", c.familyID != nil),
                ("image-id", c.imageID != nil), ("guest-svn", c.guestSVN != nil),
            ]
            if let (field, _) = needsKey.first(where: \.1) {
                throw .invalidField(field: "confidential.\(field)", problem: "belongs to the ID block sevhost signs, which needs id-key")
            }
            return fields
        }
        if c.idBlock != nil || c.idAuth != nil {
            throw .invalidField(
                field: "confidential.id-key",
                problem: "sevhost builds and signs the ID block from id-key; drop the inline id-block and id-auth, or id-key")
        }
        if let enabled = c.authorKeyEnabled, enabled != (c.authorKey != nil) {
            throw .invalidField(
                field: "confidential.author-key-enabled",
                problem: enabled ? "is true but no author-key is given" : "is false but an author-key is given (it enables the author key)")
        }
        fields.signing = SNPSigningRequest(
            idKeyPath: idKey, authorKeyPath: c.authorKey,
            familyID: try c.familyID.map { text throws(LaunchError) in try hexField(text, field: "family-id", length: 16) } ?? Array(repeating: 0, count: 16),
            imageID: try c.imageID.map { text throws(LaunchError) in try hexField(text, field: "image-id", length: 16) } ?? Array(repeating: 0, count: 16),
            guestSVN: c.guestSVN ?? 0)
        return fields
    }

    private static func hexField(_ text: String, field: String, length: Int) throws(LaunchError) -> [UInt8] {
        guard let bytes = Hex.decode(text), bytes.count == length else {
            throw .invalidField(field: "confidential.\(field)", problem: "expected \(length) bytes as \(length * 2) hex digits")
        }
        return bytes
    }

    /// The ID block QEMU and libvirt receive: the one sevhost signed, else the spec's inline one.
    public var idBlockBase64: String? { signedIDBlock?.blockBase64 ?? spec.confidential.idBlock }
    public var idAuthBase64: String? { signedIDBlock?.authBase64 ?? spec.confidential.idAuth }
    /// `author-key-enabled`: from the signed block when sevhost signed, else as the spec says.
    public var authorKeyEnabled: Bool? {
        if let signedIDBlock { return signedIDBlock.authorKeyEnabled }
        return spec.confidential.authorKeyEnabled
    }
}
