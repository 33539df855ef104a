/// A wrapped VLEK hashstick, what KDS hands a cloud provider for one chip and one TCB and what
/// SNP_VLEK_LOAD takes (SNP ABI 56860, "SNP_VLEK_LOAD"; 432 bytes, the kernel's
/// `struct sev_user_data_snp_wrapped_vlek_hashstick`).
///
/// Layout: IV (12 bytes) · reserved (4) · the VLEK hashstick wrapped with a chip-unique key by
/// AES-256-GCM (384) · TCB_VERSION (8) · reserved (8) · the GCM tag over the wrapped hashstick
/// and the TCB (16). Only the firmware can unwrap it; the host can read which TCB it is for.
public struct VLEKHashstick: Sendable, Equatable {
    public static let size = 432
    public static let tcbOffset = 0x190

    public var iv: [UInt8]
    public var wrapped: [UInt8]
    public var tcb: UInt64
    public var tag: [UInt8]

    public init(iv: [UInt8], wrapped: [UInt8], tcb: UInt64, tag: [UInt8]) {
        self.iv = iv
        self.wrapped = wrapped
        self.tcb = tcb
        self.tag = tag
    }

    /// Decodes a hashstick file; reserved bytes must be zero, as the firmware requires.
    public init(bytes: [UInt8], name: String) throws(ByteDecodingError) {
        guard bytes.count == Self.size else {
            throw ByteDecodingError(context: name, offset: min(bytes.count, Self.size), reason: "a wrapped VLEK hashstick is \(Self.size) bytes, this is \(bytes.count)")
        }
        var reader = ByteReader(bytes, context: name)
        iv = try reader.readBytes(12, field: "IV")
        if try reader.readBytes(4, field: "reserved").contains(where: { $0 != 0 }) {
            throw ByteDecodingError(context: name, offset: 0x0c, reason: "reserved bytes 0x0c-0x0f must be zero")
        }
        wrapped = try reader.readBytes(384, field: "wrapped hashstick")
        tcb = try reader.readInteger(UInt64.self, field: "TCB_VERSION")
        if try reader.readBytes(8, field: "reserved").contains(where: { $0 != 0 }) {
            throw ByteDecodingError(context: name, offset: 0x198, reason: "reserved bytes 0x198-0x19f must be zero")
        }
        tag = try reader.readBytes(16, field: "tag")
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.write(bytes: iv)
        writer.writeZeros(4)
        writer.write(bytes: wrapped)
        writer.write(tcb)
        writer.writeZeros(8)
        writer.write(bytes: tag)
        return writer.bytes
    }

    /// The TCB_VERSION bytes as they sit in the structure: what the tag also covers.
    public var tcbBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: tcb >> ($0 * 8)) } }
}
