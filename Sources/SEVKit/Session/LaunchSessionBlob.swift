/// The LAUNCH_START session buffer (SEV API 55766, "LAUNCH_START Session Data"): what QEMU's
/// `sev-guest,session-file=` and libvirt's `<session>` carry, base64-encoded.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0x00 | 16 | NONCE (context of the master-secret derivation) |
/// | 0x10 | 32 | WRAP_TK: TEK ‖ TIK encrypted with AES-128-CTR under the KEK |
/// | 0x30 | 16 | WRAP_IV |
/// | 0x40 | 32 | WRAP_MAC: HMAC-SHA256(KIK, WRAP_TK) |
/// | 0x60 | 32 | POLICY_MAC: HMAC-SHA256(TIK, policy as u32 LE) |
public struct LaunchSessionBlob: Sendable, Hashable {
    public static let size = 128

    public var nonce: [UInt8]
    public var wrappedKeys: [UInt8]
    public var wrapIV: [UInt8]
    public var wrapMAC: [UInt8]
    public var policyMAC: [UInt8]

    public init(nonce: [UInt8], wrappedKeys: [UInt8], wrapIV: [UInt8], wrapMAC: [UInt8], policyMAC: [UInt8]) {
        precondition(nonce.count == 16 && wrappedKeys.count == 32 && wrapIV.count == 16 && wrapMAC.count == 32 && policyMAC.count == 32)
        self.nonce = nonce
        self.wrappedKeys = wrappedKeys
        self.wrapIV = wrapIV
        self.wrapMAC = wrapMAC
        self.policyMAC = policyMAC
    }

    public init(bytes: [UInt8], name: String = "launch session") throws(ByteDecodingError) {
        var reader = ByteReader(bytes, context: name)
        nonce = try reader.readBytes(16, field: "NONCE")
        wrappedKeys = try reader.readBytes(32, field: "WRAP_TK")
        wrapIV = try reader.readBytes(16, field: "WRAP_IV")
        wrapMAC = try reader.readBytes(32, field: "WRAP_MAC")
        policyMAC = try reader.readBytes(32, field: "POLICY_MAC")
        guard reader.remaining == 0 else {
            throw ByteDecodingError(context: name, offset: reader.offset, reason: "\(reader.remaining) unexpected bytes after the 128-byte session")
        }
    }

    public var encoded: [UInt8] { nonce + wrappedKeys + wrapIV + wrapMAC + policyMAC }
}
