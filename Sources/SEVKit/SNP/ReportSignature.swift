import Crypto

/// An ECDSA P-384 signature in AMD's firmware layout: `r` and `s` as 72-byte little-endian
/// integers, back to back (the attestation report and the SNP ID auth info both use it; the ID
/// auth info pads it to 512 bytes).
///
/// 72 bytes because the ABI sizes the field for P-521; for P-384 the top 24 bytes are zero.
public struct AMDECDSASignature: Hashable, Sendable {
    /// 72-byte little-endian `r`.
    public var r: [UInt8]
    /// 72-byte little-endian `s`.
    public var s: [UInt8]

    public static let componentSize = 72

    public init(r: [UInt8], s: [UInt8]) {
        precondition(r.count == Self.componentSize && s.count == Self.componentSize)
        self.r = r
        self.s = s
    }

    /// From a swift-crypto signature (big-endian r||s, 48 bytes each).
    public init(_ signature: P384.Signing.ECDSASignature) {
        let raw = [UInt8](signature.rawRepresentation)
        r = Array(raw[0..<48].reversed()) + [UInt8](repeating: 0, count: 24)
        s = Array(raw[48..<96].reversed()) + [UInt8](repeating: 0, count: 24)
    }

    /// The swift-crypto form, or nil when `r`/`s` do not fit P-384 (non-zero high bytes).
    public var p384: P384.Signing.ECDSASignature? {
        guard r[48...].allSatisfy({ $0 == 0 }), s[48...].allSatisfy({ $0 == 0 }) else { return nil }
        let raw = Array(r[0..<48].reversed()) + Array(s[0..<48].reversed())
        return try? P384.Signing.ECDSASignature(rawRepresentation: raw)
    }

    /// `r || s` (144 bytes), the first part of the 512-byte on-disk form.
    public var bytes: [UInt8] { r + s }

    /// The 512-byte form of the ID auth info (r, s, zero padding).
    public var paddedBytes: [UInt8] { bytes + [UInt8](repeating: 0, count: 512 - 144) }
}
