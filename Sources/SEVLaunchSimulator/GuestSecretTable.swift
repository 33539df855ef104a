import SEVKit

/// The guest's view of an injected secret: the entries of the SEV secret table as OVMF and
/// the Linux `efi_secret` driver read them (`/sys/kernel/security/secrets/coco/<GUID>`).
public struct GuestSecretTable: Sendable, Hashable {
    public var entries: [SecretTable.Entry]

    /// Parses a decrypted secret area; the error names the byte offset.
    public init(bytes: [UInt8]) throws(ByteDecodingError) {
        var reader = ByteReader(bytes, context: "secret table")
        let header = GUID(efiBytes: try reader.readBytes(16, field: "header GUID"))
        guard header == SecretTable.headerGUID else {
            throw ByteDecodingError(context: "secret table", offset: 0, reason: "header GUID \(header), expected \(SecretTable.headerGUID)")
        }
        let total = Int(try reader.readInteger(UInt32.self, field: "table length"))
        guard total >= 20, total <= bytes.count else {
            throw ByteDecodingError(context: "secret table", offset: 16, reason: "table length \(total) outside 20...\(bytes.count)")
        }
        var entries: [SecretTable.Entry] = []
        while reader.offset < total {
            let start = reader.offset
            let guid = GUID(efiBytes: try reader.readBytes(16, field: "entry GUID"))
            let length = Int(try reader.readInteger(UInt32.self, field: "entry length"))
            guard length >= 20, start + length <= total else {
                throw ByteDecodingError(context: "secret table", offset: start + 16, reason: "entry length \(length) does not fit the table")
            }
            entries.append(SecretTable.Entry(guid: guid, data: try reader.readBytes(length - 20, field: "entry data")))
        }
        self.entries = entries
    }
}
