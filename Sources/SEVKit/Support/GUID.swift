/// A UEFI GUID, as OVMF's footer table, the SEV secret table and the hashes table use it.
///
/// The text form is the usual `8-4-4-4-12`; the binary form is the EFI mixed-endian one
/// (the first three groups little-endian), which is what lands in guest memory.
public struct GUID: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes in EFI (mixed-endian) order.
    public let bytes: [UInt8]

    public init(efiBytes: [UInt8]) {
        precondition(efiBytes.count == 16, "a GUID is 16 bytes")
        bytes = efiBytes
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`; nil when malformed.
    public init?(_ text: String) {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.count == 5, groups.map(\.count) == [8, 4, 4, 4, 12],
              let g0 = Hex.decode(groups[0]), let g1 = Hex.decode(groups[1]),
              let g2 = Hex.decode(groups[2]), let g3 = Hex.decode(groups[3]),
              let g4 = Hex.decode(groups[4])
        else { return nil }
        bytes = g0.reversed() + g1.reversed() + g2.reversed() + g3 + g4
    }

    public var description: String {
        let b = bytes
        return [
            Hex.encode(b[0..<4].reversed()),
            Hex.encode(b[4..<6].reversed()),
            Hex.encode(b[6..<8].reversed()),
            Hex.encode(b[8..<10]),
            Hex.encode(b[10..<16]),
        ].joined(separator: "-")
    }
}
