/// A guest-physical range the firmware names in its footer table (hashes table, secret area).
///
/// The firmware stores both halves as `u32`: everything OVMF places lives below 4 GiB.
public struct GuestMemoryRange: Sendable, Hashable, CustomStringConvertible {
    public let gpa: UInt32
    public let size: UInt32

    public init(gpa: UInt32, size: UInt32) {
        self.gpa = gpa
        self.size = size
    }

    public var description: String {
        "0x\(String(gpa, radix: 16))+0x\(String(size, radix: 16))"
    }
}
