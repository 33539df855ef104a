/// Builds a little-endian, fixed-layout byte structure field by field.
///
/// The counterpart of `ByteReader`: serialisers write in spec order and can assert the
/// final size, so a layout mistake is caught where it is made.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        bytes.append(contentsOf: value.littleEndianBytes)
    }

    public mutating func write<C: Collection>(bytes more: C) where C.Element == UInt8 {
        bytes.append(contentsOf: more)
    }

    public mutating func writeZeros(_ count: Int) {
        bytes.append(contentsOf: repeatElement(0, count: count))
    }

    /// Pads with zeros until the structure is `size` bytes long.
    public mutating func pad(to size: Int) {
        precondition(bytes.count <= size, "structure overflows its \(size)-byte layout")
        writeZeros(size - bytes.count)
    }
}
