import Crypto

/// Reading an ID block and its ID auth info back, as the firmware does at SNP_LAUNCH_FINISH and
/// as a launch check must before QEMU runs (an inline block from a spec, a peer's output).
extension IDBlock {
    /// Decodes the 96-byte block. The fields are taken as written, so a block that could never
    /// pass the firmware (wrong version, a policy without bit 17) still decodes and can be named.
    public init(bytes: [UInt8]) throws(ByteDecodingError) {
        var r = ByteReader(bytes, context: "ID block")
        guard bytes.count == Self.size else {
            throw ByteDecodingError(context: r.context, offset: 0, reason: "expected \(Self.size) bytes, got \(bytes.count)")
        }
        launchDigest = try r.readBytes(48, field: "LD")
        familyID = try r.readBytes(16, field: "FAMILY_ID")
        imageID = try r.readBytes(16, field: "IMAGE_ID")
        version = try r.readInteger(field: "VERSION")
        guestSVN = try r.readInteger(field: "GUEST_SVN")
        policy = try r.readInteger(field: "POLICY")
    }
}

extension IDAuthInfo {
    /// Decodes the 4096-byte structure: the algorithms must be ECDSA P-384 (1; 0 for an absent
    /// author key), the keys must be points on P-384 and the signatures must fit P-384.
    /// Reserved bytes are not checked: the firmware ignores them, and so do the peers.
    public init(bytes: [UInt8]) throws(ByteDecodingError) {
        let context = "ID auth info"
        guard bytes.count == Self.size else {
            throw ByteDecodingError(context: context, offset: 0, reason: "expected \(Self.size) bytes, got \(bytes.count)")
        }
        var r = ByteReader(bytes, context: context)
        let idAlgorithm: UInt32 = try r.readInteger(field: "ID_KEY_ALGO")
        let authorAlgorithm: UInt32 = try r.readInteger(field: "AUTH_KEY_ALGO")
        guard idAlgorithm == Self.ecdsaP384SHA384 else {
            throw ByteDecodingError(context: context, offset: 0, reason: "ID_KEY_ALGO \(idAlgorithm): only 1 (ECDSA P-384 with SHA-384) exists")
        }
        guard authorAlgorithm == 0 || authorAlgorithm == Self.ecdsaP384SHA384 else {
            throw ByteDecodingError(context: context, offset: 4, reason: "AUTH_KEY_ALGO \(authorAlgorithm): expected 1 (ECDSA P-384 with SHA-384) or 0")
        }
        idBlockSignature = try Self.signature(bytes, at: Self.idBlockSignatureOffset, field: "ID_BLOCK_SIG")
        idKey = try Self.key(bytes, at: Self.idKeyOffset, field: "ID_KEY")
        let authorKeyBytes = Array(bytes[Self.authorKeyOffset..<(Self.authorKeyOffset + SEVECDSAPublicKey.size)])
        if authorAlgorithm == 0 && authorKeyBytes.allSatisfy({ $0 == 0 }) {
            authorSignature = nil
            authorKey = nil
        } else {
            authorSignature = try Self.signature(bytes, at: Self.authorSignatureOffset, field: "ID_KEY_SIG")
            authorKey = try Self.key(bytes, at: Self.authorKeyOffset, field: "AUTHOR_KEY")
        }
    }

    static let idBlockSignatureOffset = 0x040
    static let idKeyOffset = 0x240
    static let authorSignatureOffset = 0x680
    static let authorKeyOffset = 0x880

    private static func signature(_ bytes: [UInt8], at offset: Int, field: String) throws(ByteDecodingError) -> AMDECDSASignature {
        let component = AMDECDSASignature.componentSize
        let signature = AMDECDSASignature(
            r: Array(bytes[offset..<(offset + component)]), s: Array(bytes[(offset + component)..<(offset + 2 * component)]))
        guard signature.p384 != nil else {
            throw ByteDecodingError(context: "ID auth info", offset: offset, reason: "\(field): r/s do not fit a P-384 signature")
        }
        return signature
    }

    private static func key(_ bytes: [UInt8], at offset: Int, field: String) throws(ByteDecodingError) -> SEVECDSAPublicKey {
        do {
            return try SEVECDSAPublicKey(bytes: Array(bytes[offset..<(offset + SEVECDSAPublicKey.size)]))
        } catch {
            throw ByteDecodingError(context: "ID auth info", offset: offset + error.offset, reason: "\(field): \(error.reason)")
        }
    }

    /// The firmware's first check: the ID key signed exactly these block bytes.
    public func signsBlock(_ block: IDBlock) -> Bool {
        guard let signature = idBlockSignature.p384 else { return false }
        return idKey.key.isValidSignature(signature, for: SHA384.hash(data: block.bytes))
    }

    /// The firmware's second check (with AUTHOR_KEY_EN): the author key signed the ID key
    /// structure. False when the structure carries no author key.
    public var authorSignsIDKey: Bool {
        guard let authorKey, let signature = authorSignature?.p384 else { return false }
        return authorKey.key.isValidSignature(signature, for: SHA384.hash(data: idKey.bytes))
    }
}
