/// The SEV secret table OVMF and the Linux `efi_secret` driver read from the launch secret
/// area (the driver shows each entry as `/sys/kernel/security/secrets/coco/<GUID>`): a header
/// GUID, the table length, then entries of GUID ‖ length ‖ data.
///
/// Lengths are u32 LE and include their own 20-byte (GUID + length) header; entries follow one
/// another without alignment; the table length counts the unpadded table; the whole table is
/// zero-padded to a multiple of 16 bytes (the firmware injects whole AES blocks).
public struct SecretTable: Sendable, Hashable {
    /// GUID that marks the start of the table.
    public static let headerGUID = GUID("1e74f542-71dd-4d66-963e-ef4287ff173b")!
    /// The largest padded table this builds: 16 KiB, the largest LAUNCH_SECRET packet
    /// sevctl's tests send (16 + 4 + 16 + 4 + 16344 bytes). Guest secret areas can be
    /// smaller (OVMF's is set by its build), which only the launch can tell.
    public static let maximumSize = 16384
    static let headerSize = 20

    public struct Entry: Sendable, Hashable {
        public var guid: GUID
        public var data: [UInt8]

        public init(guid: GUID, data: [UInt8]) {
            self.guid = guid
            self.data = data
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The padded plaintext table. Refuses an empty table, a GUID used twice (a guest would see
    /// only one of them) and a table over `maximumSize`.
    public func encoded() throws(LaunchSecretError) -> [UInt8] {
        guard !entries.isEmpty else { throw .empty }
        var seen = Set<GUID>()
        for entry in entries where !seen.insert(entry.guid).inserted {
            throw .duplicateGUID(entry.guid)
        }
        let unpadded = Self.headerSize + entries.reduce(0) { $0 + Self.headerSize + $1.data.count }
        let padded = (unpadded + 15) & ~15
        guard padded <= Self.maximumSize else {
            throw .tooLarge(size: padded, maximum: Self.maximumSize)
        }
        var writer = ByteWriter(capacity: padded)
        writer.write(bytes: Self.headerGUID.bytes)
        writer.write(UInt32(unpadded))
        for entry in entries {
            writer.write(bytes: entry.guid.bytes)
            writer.write(UInt32(Self.headerSize + entry.data.count))
            writer.write(bytes: entry.data)
        }
        writer.pad(to: padded)
        return writer.bytes
    }
}

/// Why a launch secret could not be built.
public enum LaunchSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case duplicateGUID(GUID)
    case tooLarge(size: Int, maximum: Int)
    case badKey(name: String, length: Int)
    case badMeasurement(length: Int)
    case badIV(length: Int)

    public var description: String {
        switch self {
        case .empty: "secret table: at least one secret is needed"
        case .duplicateGUID(let guid): "secret table: GUID \(guid) is used more than once"
        case .tooLarge(let size, let maximum): "secret table: \(size) bytes (padded) exceeds the maximum of \(maximum) bytes"
        case .badKey(let name, let length): "\(name): expected a 16-byte key, found \(length) bytes"
        case .badMeasurement(let length): "measurement: expected 32 bytes (or the 48-byte measurement ‖ MNONCE blob), found \(length) bytes"
        case .badIV(let length): "IV: expected 16 bytes, found \(length) bytes"
        }
    }
}

/// Names for secret GUIDs that guests look up by convention.
public enum WellKnownSecretGUID {
    /// `luks-key`: the disk passphrase GRUB's `efisecret` cryptodisk module reads.
    public static let aliases: [(name: String, guid: GUID)] = [
        ("luks-key", GUID("736869e5-84f0-4973-92ec-06879ce3da0b")!),
    ]

    /// A GUID from its text form or an alias; nil when neither.
    public static func parse(_ text: String) -> GUID? {
        if let alias = aliases.first(where: { $0.name == text.lowercased() }) { return alias.guid }
        return GUID(text)
    }
}
