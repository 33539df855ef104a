/// A cursor over a little-endian byte buffer.
///
/// Every AMD structure (SEV API 55766, SNP ABI 56860, OVMF footers) is little-endian and
/// fixed-layout. Reading through one cursor that knows its position means every decoding
/// error can name the exact byte offset that was wrong, which is what a user diffing
/// against the spec needs.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    /// Offset of the next byte to read, relative to the start of `bytes`.
    public private(set) var offset: Int
    /// What is being read, used in errors ("attestation report", "PDH certificate").
    public let context: String

    public init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        self.offset = 0
        self.context = context
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func seek(to newOffset: Int) throws(ByteDecodingError) {
        guard newOffset >= 0, newOffset <= bytes.count else {
            throw ByteDecodingError(context: context, offset: newOffset, reason: "offset beyond the \(bytes.count)-byte input")
        }
        offset = newOffset
    }

    public mutating func skip(_ count: Int) throws(ByteDecodingError) {
        try seek(to: offset + count)
    }

    public mutating func readBytes(_ count: Int, field: String) throws(ByteDecodingError) -> [UInt8] {
        guard count >= 0, remaining >= count else {
            throw ByteDecodingError(
                context: context, offset: offset,
                reason: "\(field): expected \(count) bytes, only \(remaining) left")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    public mutating func readInteger<T: FixedWidthInteger>(_: T.Type = T.self, field: String) throws(ByteDecodingError) -> T {
        let size = MemoryLayout<T>.size
        let raw = try readBytes(size, field: field)
        return T(littleEndianBytes: raw)
    }

    /// Reads a field that the spec says must be zero; a non-zero byte is named with its offset.
    public mutating func expectZero(_ count: Int, field: String) throws(ByteDecodingError) {
        let start = offset
        let raw = try readBytes(count, field: field)
        if let index = raw.firstIndex(where: { $0 != 0 }) {
            throw ByteDecodingError(
                context: context, offset: start + index,
                reason: "\(field): reserved byte must be zero, found 0x\(String(raw[index], radix: 16))")
        }
    }
}

/// A structure could not be decoded: names what, where and why.
public struct ByteDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var context: String
    public var offset: Int
    public var reason: String

    public init(context: String, offset: Int, reason: String) {
        self.context = context
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "\(context), offset \(offset) (0x\(String(offset, radix: 16))): \(reason)"
    }
}

extension FixedWidthInteger {
    /// Assembles an integer from its little-endian byte representation (`bytes.count` must
    /// equal the integer's width; callers get that from `ByteReader`).
    @inlinable
    public init<C: Collection>(littleEndianBytes bytes: C) where C.Element == UInt8 {
        var value: Self = 0
        var shift = 0
        for byte in bytes {
            value |= Self(truncatingIfNeeded: byte) << shift
            shift += 8
        }
        self = value
    }

    /// The little-endian bytes of this integer, `MemoryLayout<Self>.size` of them.
    @inlinable
    public var littleEndianBytes: [UInt8] {
        (0..<MemoryLayout<Self>.size).map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }
}
