import Foundation

/// The SEV-SNP extended certificate table, in the format of the GHCB specification (56421,
/// "SNP Extended Guest Request"): what a host hands a guest next to its attestation report so
/// the guest need not fetch VCEK, ASK and ARK itself, and what `snphost import/export` write.
///
/// Layout: entries of { GUID (16 bytes, RFC 4122 byte order as `uuid_t` holds it — not the EFI
/// mixed-endian order), offset (u32 LE, from the table's start), length (u32 LE) }, closed by
/// an all-zero entry, then the certificates (DER) the entries point at.
public struct SNPCertificateTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var guid: UUID
        public var certificate: [UInt8]

        public init(guid: UUID, certificate: [UInt8]) {
            self.guid = guid
            self.certificate = certificate
        }
    }

    /// The GUIDs the GHCB specification assigns, with the file stem snphost uses for each.
    public static let ark = UUID(uuidString: "C0B406A4-A803-4952-9743-3FB6014CD0AE")!
    public static let ask = UUID(uuidString: "4AB7B379-BBAC-4FE4-A02F-05AEF327C782")!
    public static let vcek = UUID(uuidString: "63DA758D-E664-4564-ADC5-F4B93BE8ACCD")!
    public static let vlek = UUID(uuidString: "A8074BC2-A25A-483E-AAE6-39C045A0B8A1")!
    public static let names: [(guid: UUID, name: String)] = [(ark, "ark"), (ask, "ask"), (vcek, "vcek"), (vlek, "vlek")]

    public static let entrySize = 24

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public static func name(for guid: UUID) -> String? { names.first { $0.guid == guid }?.name }
    public static func guid(named name: String) -> UUID? { names.first { $0.name == name }?.guid }

    /// The table bytes: entries, terminator, then each certificate in entry order.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        var offset = (entries.count + 1) * Self.entrySize
        for entry in entries {
            writer.write(bytes: Self.bytes(of: entry.guid))
            writer.write(UInt32(offset))
            writer.write(UInt32(entry.certificate.count))
            offset += entry.certificate.count
        }
        writer.writeZeros(Self.entrySize)
        for entry in entries { writer.write(bytes: entry.certificate) }
        return writer.bytes
    }

    /// The most entries a table may have: the GHCB defines four certificates (ARK, ASK, VCEK,
    /// VLEK); a host may add its own, but not without end.
    public static let maximumEntries = 32

    /// Decodes a table. Refused, naming the entry and its offset: an entry pointing outside
    /// the bytes or into the entry list itself, two entries sharing bytes (a table of a
    /// thousand entries all pointing at one megabyte would otherwise export a gigabyte), an
    /// empty certificate, a GUID given twice, more than `maximumEntries` entries. So what an
    /// export writes is never more than the table it read.
    public init(bytes: [UInt8], name: String) throws(ByteDecodingError) {
        var reader = ByteReader(bytes, context: name)
        var entries = [Entry]()
        var spans: [(start: Int, end: Int, index: Int, at: Int)] = []
        while true {
            let start = reader.offset
            let guidBytes = try reader.readBytes(16, field: "entry \(entries.count) GUID")
            let offset = Int(try reader.readInteger(UInt32.self, field: "entry \(entries.count) offset"))
            let length = Int(try reader.readInteger(UInt32.self, field: "entry \(entries.count) length"))
            if guidBytes.allSatisfy({ $0 == 0 }) && offset == 0 && length == 0 { break }
            let index = entries.count
            guard index < Self.maximumEntries else {
                throw ByteDecodingError(context: name, offset: start, reason: "more than \(Self.maximumEntries) entries before the all-zero one that ends the list")
            }
            guard length > 0 else {
                throw ByteDecodingError(context: name, offset: start + 20, reason: "entry \(index) has length 0: an entry holds one certificate")
            }
            guard offset + length <= bytes.count else {
                throw ByteDecodingError(
                    context: name, offset: start + 16,
                    reason: "entry \(index) points at bytes \(offset)..<\(offset + length), outside the \(bytes.count)-byte table")
            }
            let guid = Self.uuid(guidBytes)
            if let earlier = entries.firstIndex(where: { $0.guid == guid }) {
                throw ByteDecodingError(context: name, offset: start, reason: "entry \(index) repeats the GUID of entry \(earlier)")
            }
            spans.append((offset, offset + length, index, start + 16))
            entries.append(Entry(guid: guid, certificate: Array(bytes[offset..<offset + length])))
        }
        // The certificates follow the list and its terminator, each in bytes of its own.
        let listEnd = reader.offset
        var previous: (end: Int, index: Int)?
        for span in spans.sorted(by: { ($0.start, $0.index) < ($1.start, $1.index) }) {
            guard span.start >= listEnd else {
                throw ByteDecodingError(
                    context: name, offset: span.at,
                    reason: "entry \(span.index) points at byte \(span.start), inside the entry list (which ends at \(listEnd))")
            }
            if let previous, span.start < previous.end {
                throw ByteDecodingError(
                    context: name, offset: span.at,
                    reason: "entry \(span.index) overlaps entry \(previous.index): each certificate has bytes of its own")
            }
            previous = (span.end, span.index)
        }
        self.entries = entries
    }

    static func bytes(of uuid: UUID) -> [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    static func uuid(_ bytes: [UInt8]) -> UUID {
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes) }
        return UUID(uuid: value)
    }
}
