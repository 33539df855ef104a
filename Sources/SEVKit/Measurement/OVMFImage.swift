/// An OVMF (or Coconut-SVSM) firmware image and the launch facts its reset vector publishes.
///
/// Everything a launch digest depends on besides the image bytes themselves is declared in the
/// GUIDed footer table and in the `ASEV` SEV metadata it points to. Parsing both once, up front,
/// lets callers ask plain questions ("can this firmware run SEV-ES?", "where does QEMU put the
/// kernel hashes?") before committing to a launch, and lets the digest code refuse firmware that
/// cannot produce a meaningful number.
///
/// Parsing never guesses: a structurally broken table, a duplicate GUID or an unknown SEV
/// metadata section type is an error naming the byte offset. An image with no footer table, or
/// no SEV metadata, parses fine; the convenience facts then say what is missing.
public struct OVMFImage: Sendable {
    /// The whole image, as mapped into the guest (ending at 4 GiB for OVMF).
    public let bytes: [UInt8]
    /// Footer-table entries in file order (lowest offset first); empty when there is no table.
    public let footerTable: [OVMFFooterEntry]
    /// The SEV metadata, nil when the image carries none.
    public let sevMetadata: SEVMetadata?

    /// Bytes from the end of the image to the footer entry's GUID end (fixed by the reset vector layout).
    static let footerDistanceFromEnd = 32
    /// A table entry's trailer: `u16` length and the GUID.
    static let entryTrailerSize = 18

    public init(bytes: [UInt8]) throws(OVMFImageError) {
        self.bytes = bytes
        let table = try Self.parseFooterTable(bytes)
        footerTable = table
        if let entry = table.first(where: { $0.guid == OVMFFooterGUID.sevMetadata }) {
            sevMetadata = try Self.parseSEVMetadata(bytes, entry: entry)
        } else {
            sevMetadata = nil
        }
    }

    /// The table entry with `guid`, nil when absent.
    public func entry(_ guid: GUID) -> OVMFFooterEntry? {
        footerTable.first { $0.guid == guid }
    }

    // MARK: - Convenience facts

    /// Whether the image carries `ASEV` SEV metadata. Firmware without it was not built for
    /// SEV guests (Debian's 4 MiB OVMF builds, for one), so no launch digest is computed for it.
    public var hasSEVMetadata: Bool { sevMetadata != nil }

    /// The SEV-ES AP reset address (from the SEV-ES reset block), nil when absent or zero.
    public var sevESResetAddress: UInt32? {
        guard let value = entry(OVMFFooterGUID.sevESResetBlock)?.firstUInt32, value != 0 else { return nil }
        return value
    }

    /// Whether application processors can start under SEV-ES/SNP: the SEV-ES reset block is present.
    public var supportsSEVES: Bool { sevESResetAddress != nil }

    /// Where QEMU writes the SEV hashes table for `-kernel` boots; nil when the firmware has no
    /// such area (the GUID absent or its GPA zero, as in builds without `AmdSev` support).
    public var sevHashTableLocation: GuestMemoryRange? {
        Self.range(entry(OVMFFooterGUID.sevHashTable))
    }

    /// Where the launch secret goes; nil when absent or zero.
    public var sevSecretLocation: GuestMemoryRange? {
        Self.range(entry(OVMFFooterGUID.sevSecretBlock))
    }

    /// Whether the SEV metadata has an `SNP_KERNEL_HASHES` page, needed to measure a kernel under SNP.
    public var hasSNPKernelHashes: Bool {
        sevMetadata?.sections.contains { $0.kind == .snpKernelHashes } ?? false
    }

    private static func range(_ entry: OVMFFooterEntry?) -> GuestMemoryRange? {
        guard let entry, let gpa = entry.firstUInt32, gpa != 0, let size = entry.secondUInt32 else { return nil }
        return GuestMemoryRange(gpa: gpa, size: size)
    }

    // MARK: - Parsing

    private static func parseFooterTable(_ bytes: [UInt8]) throws(OVMFImageError) -> [OVMFFooterEntry] {
        let footerStart = bytes.count - footerDistanceFromEnd - entryTrailerSize
        guard footerStart >= 0 else { return [] }
        let footerGUID = GUID(efiBytes: Array(bytes[(footerStart + 2)..<(footerStart + entryTrailerSize)]))
        guard footerGUID == OVMFFooterGUID.footer else { return [] }

        let footerLength = Int(UInt16(littleEndianBytes: bytes[footerStart..<(footerStart + 2)]))
        let tableSize = footerLength - entryTrailerSize
        guard tableSize >= 0, tableSize <= footerStart else {
            throw .malformed(ByteDecodingError(
                context: "OVMF footer table", offset: footerStart,
                reason: "footer length \(footerLength) must be at least \(entryTrailerSize) and fit before offset \(footerStart)"))
        }
        let tableStart = footerStart - tableSize

        var entries: [OVMFFooterEntry] = []
        var end = footerStart
        while end - tableStart >= entryTrailerSize {
            let trailer = end - entryTrailerSize
            let length = Int(UInt16(littleEndianBytes: bytes[trailer..<(trailer + 2)]))
            guard length >= entryTrailerSize, length <= end - tableStart else {
                throw .malformed(ByteDecodingError(
                    context: "OVMF footer table", offset: trailer,
                    reason: "entry length \(length) must be between \(entryTrailerSize) and the \(end - tableStart) bytes left in the table"))
            }
            let guid = GUID(efiBytes: Array(bytes[(trailer + 2)..<end]))
            let dataStart = end - length
            if entries.contains(where: { $0.guid == guid }) {
                throw .duplicateEntry(guid, offset: dataStart)
            }
            entries.append(OVMFFooterEntry(guid: guid, data: Array(bytes[dataStart..<trailer]), offset: dataStart))
            end = dataStart
        }
        return entries.reversed()
    }

    private static func parseSEVMetadata(_ bytes: [UInt8], entry: OVMFFooterEntry) throws(OVMFImageError) -> SEVMetadata {
        guard let fromEnd = entry.firstUInt32 else {
            throw .malformed(ByteDecodingError(
                context: "OVMF footer table", offset: entry.offset,
                reason: "SEV metadata entry must hold a 4-byte offset, has \(entry.data.count) bytes"))
        }
        let start = bytes.count - Int(fromEnd)
        guard start >= 0, start + SEVMetadata.headerSize <= bytes.count else {
            throw .malformed(ByteDecodingError(
                context: "OVMF footer table", offset: entry.offset,
                reason: "SEV metadata offset 0x\(String(fromEnd, radix: 16)) from the end points outside the \(bytes.count)-byte image"))
        }
        let raw: (version: UInt32, sections: [(gpa: UInt32, size: UInt32, type: UInt32, offset: Int)])
        do {
            raw = try readMetadata(bytes, at: start)
        } catch {
            throw .malformed(error)
        }
        var sections: [SEVMetadataSection] = []
        sections.reserveCapacity(raw.sections.count)
        for (index, section) in raw.sections.enumerated() {
            guard let kind = SEVMetadataSectionKind(rawValue: section.type) else {
                throw .unknownSectionType(section.type, index: index, offset: section.offset)
            }
            sections.append(SEVMetadataSection(gpa: section.gpa, size: section.size, kind: kind))
        }
        return SEVMetadata(offset: start, version: raw.version, sections: sections)
    }

    /// Reads the `ASEV` header and the raw section descriptors at `start`.
    private static func readMetadata(_ bytes: [UInt8], at start: Int) throws(ByteDecodingError)
        -> (version: UInt32, sections: [(gpa: UInt32, size: UInt32, type: UInt32, offset: Int)])
    {
        let context = "OVMF SEV metadata"
        var reader = ByteReader(bytes, context: context)
        try reader.seek(to: start)
        let signature = try reader.readBytes(4, field: "signature")
        guard signature == SEVMetadata.signature else {
            throw ByteDecodingError(context: context, offset: start,
                                    reason: "signature must be \"ASEV\", found 0x\(Hex.encode(signature))")
        }
        let size = Int(try reader.readInteger(UInt32.self, field: "size"))
        let version = try reader.readInteger(UInt32.self, field: "version")
        guard version == 1 else {
            throw ByteDecodingError(context: context, offset: start + 8, reason: "version must be 1, found \(version)")
        }
        let count = Int(try reader.readInteger(UInt32.self, field: "num_items"))
        let needed = SEVMetadata.headerSize + count * SEVMetadata.sectionSize
        guard size >= needed, start + size <= bytes.count else {
            throw ByteDecodingError(
                context: context, offset: start + 4,
                reason: "size \(size) must cover \(count) sections (\(needed) bytes) and end inside the image")
        }
        var sections: [(gpa: UInt32, size: UInt32, type: UInt32, offset: Int)] = []
        sections.reserveCapacity(count)
        for index in 0..<count {
            let gpa = try reader.readInteger(UInt32.self, field: "section \(index) gpa")
            let length = try reader.readInteger(UInt32.self, field: "section \(index) size")
            let typeOffset = reader.offset
            let type = try reader.readInteger(UInt32.self, field: "section \(index) type")
            sections.append((gpa, length, type, typeOffset))
        }
        return (version, sections)
    }
}
