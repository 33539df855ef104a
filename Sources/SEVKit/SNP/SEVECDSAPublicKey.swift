import Crypto

/// The SEV "ECDSA public key" structure (SNP ABI 56860, "ECDSA Public Key Format"), 1028 bytes:
/// curve (u32, 2 = P-384), Qx and Qy as 72-byte little-endian integers, then zeros.
///
/// It is what the ID auth info carries for the ID and author keys, and the report's
/// ID_KEY_DIGEST / AUTHOR_KEY_DIGEST are SHA-384 over exactly these 1028 bytes.
public struct SEVECDSAPublicKey: Hashable, Sendable {
    public static let size = 0x404
    public static let curveP384: UInt32 = 2

    /// The point, x || y big-endian (swift-crypto's raw form); kept as bytes so the value is
    /// Sendable and Hashable.
    public let rawPoint: [UInt8]

    public init(_ key: P384.Signing.PublicKey) { rawPoint = [UInt8](key.rawRepresentation) }

    /// The key (validated on construction, so this cannot fail).
    public var key: P384.Signing.PublicKey { try! P384.Signing.PublicKey(rawRepresentation: rawPoint) }

    /// The 1028-byte structure.
    public var bytes: [UInt8] {
        let raw = rawPoint  // x || y, big-endian, 48 bytes each
        var w = ByteWriter(capacity: Self.size)
        w.write(Self.curveP384)
        w.write(bytes: raw[0..<48].reversed())
        w.writeZeros(24)
        w.write(bytes: raw[48..<96].reversed())
        w.writeZeros(24)
        w.pad(to: Self.size)
        return w.bytes
    }

    /// SHA-384 of the structure: the digest an attestation report carries.
    public var digest: [UInt8] { Array(SHA384.hash(data: bytes)) }

    /// Decodes the structure (the inverse of `bytes`).
    public init(bytes: [UInt8]) throws(ByteDecodingError) {
        var r = ByteReader(bytes, context: "SEV ECDSA public key")
        guard bytes.count == Self.size else {
            throw ByteDecodingError(context: r.context, offset: 0, reason: "expected \(Self.size) bytes, got \(bytes.count)")
        }
        let curve: UInt32 = try r.readInteger(field: "curve")
        guard curve == Self.curveP384 else {
            throw ByteDecodingError(context: r.context, offset: 0, reason: "curve \(curve): only 2 (P-384) is supported")
        }
        let x = try r.readBytes(72, field: "qx")
        let y = try r.readBytes(72, field: "qy")
        guard x[48...].allSatisfy({ $0 == 0 }), y[48...].allSatisfy({ $0 == 0 }),
              let key = try? P384.Signing.PublicKey(rawRepresentation: Array(x[0..<48].reversed()) + Array(y[0..<48].reversed()))
        else {
            throw ByteDecodingError(context: r.context, offset: 4, reason: "qx/qy is not a point on P-384")
        }
        rawPoint = [UInt8](key.rawRepresentation)
    }
}
