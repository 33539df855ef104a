/// A firmware image could not be understood, or lacks what a computation needs.
///
/// Every case names the byte offset or the missing piece, because the user's next step is to
/// look at that spot of the image (or pick another build).
public enum OVMFImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The footer table or the SEV metadata is structurally broken.
    case malformed(ByteDecodingError)
    /// The SEV metadata lists a section type this version does not know how to measure.
    case unknownSectionType(UInt32, index: Int, offset: Int)
    /// Two footer-table entries carry the same GUID, so it is ambiguous which one QEMU uses.
    case duplicateEntry(GUID, offset: Int)

    public var description: String {
        switch self {
        case .malformed(let error):
            return error.description
        case .unknownSectionType(let type, let index, let offset):
            let known = SEVMetadataSectionKind.allCases
                .map { "0x\(String($0.rawValue, radix: 16)) \($0)" }.joined(separator: ", ")
            return "OVMF SEV metadata, offset \(offset) (0x\(String(offset, radix: 16))): section \(index) has unknown type 0x\(String(type, radix: 16)) (known: \(known))"
        case .duplicateEntry(let guid, let offset):
            return "OVMF footer table, offset \(offset) (0x\(String(offset, radix: 16))): second entry with GUID \(guid)"
        }
    }
}
