import Crypto

/// The SNP ID authentication information structure (SNP ABI 56860), 4096 bytes: the ID block's
/// signature by the ID key, the ID key, and optionally the ID key's signature by the author key
/// and the author key.
///
/// Layout: id_key_algo u32 @0x000 · auth_key_algo u32 @0x004 · id_block_sig (512) @0x040 ·
/// id_key (1028) @0x240 · author_sig (512) @0x680 · author_key (1028) @0x880 · zeros to 0x1000.
/// Algorithm 1 is ECDSA P-384 with SHA-384; signatures use AMD's little-endian r/s layout.
public struct IDAuthInfo: Hashable, Sendable {
    public static let size = 0x1000
    public static let ecdsaP384SHA384: UInt32 = 1

    public var idBlockSignature: AMDECDSASignature
    public var idKey: SEVECDSAPublicKey
    public var authorSignature: AMDECDSASignature?
    public var authorKey: SEVECDSAPublicKey?

    public init(idBlockSignature: AMDECDSASignature, idKey: SEVECDSAPublicKey,
                authorSignature: AMDECDSASignature? = nil, authorKey: SEVECDSAPublicKey? = nil) {
        self.idBlockSignature = idBlockSignature
        self.idKey = idKey
        self.authorSignature = authorSignature
        self.authorKey = authorKey
    }

    /// Signs `block` with `idKey` and, when given, the ID key structure with `authorKey`.
    public static func sign(_ block: IDBlock, idKey: P384.Signing.PrivateKey, authorKey: P384.Signing.PrivateKey?) throws -> IDAuthInfo {
        let idPublic = SEVECDSAPublicKey(idKey.publicKey)
        let idSig = try idKey.signature(for: SHA384.hash(data: block.bytes))
        var authorSig: AMDECDSASignature? = nil
        if let authorKey {
            authorSig = AMDECDSASignature(try authorKey.signature(for: SHA384.hash(data: idPublic.bytes)))
        }
        return IDAuthInfo(
            idBlockSignature: AMDECDSASignature(idSig), idKey: idPublic,
            authorSignature: authorSig, authorKey: authorKey.map { SEVECDSAPublicKey($0.publicKey) })
    }

    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.write(Self.ecdsaP384SHA384)
        w.write(authorKey == nil ? UInt32(0) : Self.ecdsaP384SHA384)
        w.pad(to: 0x40)
        w.write(bytes: idBlockSignature.paddedBytes)
        w.write(bytes: idKey.bytes)
        w.pad(to: 0x680)
        w.write(bytes: authorSignature?.paddedBytes ?? [UInt8](repeating: 0, count: 512))
        w.write(bytes: authorKey?.bytes ?? [UInt8](repeating: 0, count: SEVECDSAPublicKey.size))
        w.pad(to: Self.size)
        return w.bytes
    }

    /// Checks both signatures (the firmware's own check, for a guest owner to run beforehand).
    public func verifies(_ block: IDBlock) -> Bool {
        signsBlock(block) && (authorKey == nil || authorSignsIDKey)
    }
}
