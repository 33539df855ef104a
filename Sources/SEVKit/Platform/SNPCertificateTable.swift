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

    /// Decodes a table; an entry pointing outside the bytes is an error naming its offset.
    public init(bytes: [UInt8], name: String) throws(ByteDecodingError) {
        var reader = ByteReader(bytes, context: name)
        var entries = [Entry]()
        while true {
            let start = reader.offset
            let guidBytes = try reader.readBytes(16, field: "entry \(entries.count) GUID")
            let offset = Int(try reader.readInteger(UInt32.self, field: "entry \(entries.count) offset"))
            let length = Int(try reader.readInteger(UInt32.self, field: "entry \(entries.count) length"))
            if guidBytes.allSatisfy({ $0 == 0 }) && offset == 0 && length == 0 { break }
            guard offset + length <= bytes.count else {
                throw ByteDecodingError(
                    context: name, offset: start + 16,
                    reason: "entry \(entries.count) points at bytes \(offset)..<\(offset + length), outside the \(bytes.count)-byte table")
            }
            entries.append(Entry(guid: Self.uuid(guidBytes), certificate: Array(bytes[offset..<offset + length])))
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
