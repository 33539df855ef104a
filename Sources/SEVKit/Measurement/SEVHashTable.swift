import Crypto

/// The SEV hashes table QEMU writes into guest memory for a `-kernel` boot.
///
/// With SEV, the firmware cannot trust a kernel the host loads after launch, so QEMU measures
/// SHA-256 hashes of the command line, initrd and kernel into the launch instead, and OVMF
/// refuses to boot anything that does not match. Its layout is fixed by QEMU: a GUIDed header,
/// three GUIDed entries (command line, initrd, kernel), zero-padded to a 16-byte multiple,
/// and only the padded table is measured (SEV, SEV-ES) or the whole page holding it (SNP).
public struct SEVHashTable: Sendable, Hashable {
    /// SHA-256 of the command line including its terminating NUL.
    public var cmdlineHash: [UInt8]
    /// SHA-256 of the initrd (of nothing when there is none).
    public var initrdHash: [UInt8]
    /// SHA-256 of the kernel image as given to QEMU.
    public var kernelHash: [UInt8]

    public init(kernelHash: [UInt8], initrdHash: [UInt8], cmdlineHash: [UInt8]) {
        precondition(kernelHash.count == 32 && initrdHash.count == 32 && cmdlineHash.count == 32,
                     "SEV hashes table entries are SHA-256 digests")
        self.kernelHash = kernelHash
        self.initrdHash = initrdHash
        self.cmdlineHash = cmdlineHash
    }

    /// Builds the table from already computed file digests and the command line.
    ///
    /// - Parameters:
    ///   - initrdHash: nil when no initrd is given: QEMU then hashes zero bytes.
    ///   - commandLine: nil or empty both mean the one-byte string `"\0"`, as QEMU measures it.
    public init(kernelHash: [UInt8], initrdHash: [UInt8]?, commandLine: String?) {
        self.init(
            kernelHash: kernelHash,
            initrdHash: initrdHash ?? Array(SHA256.hash(data: [UInt8]())),
            cmdlineHash: Array(SHA256.hash(data: Self.commandLineBytes(commandLine))))
    }

    /// The bytes QEMU hashes for `-append`: the UTF-8 text followed by a NUL.
    public static func commandLineBytes(_ commandLine: String?) -> [UInt8] {
        Array((commandLine ?? "").utf8) + [0]
    }

    public static let headerGUID = GUID("9438d606-4f22-4cc9-b479-a793d411fd21")!
    public static let cmdlineGUID = GUID("97d02dd8-bd20-4c94-aa78-e7714d36ab2a")!
    public static let initrdGUID = GUID("44baf731-3a2f-4bd7-9af1-41e29169781d")!
    public static let kernelGUID = GUID("4de79437-abd2-427f-b835-d5b172d2045b")!

    /// One entry: GUID, `u16` length, SHA-256.
    static let entrySize = 16 + 2 + 32
    /// The table proper: header GUID, `u16` length, three entries (168 bytes).
    public static let tableSize = 16 + 2 + 3 * entrySize
    /// The table zero-padded to a 16-byte multiple (176 bytes): what QEMU measures.
    public static let paddedSize = (tableSize + 15) & ~15

    /// The padded table.
    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.paddedSize)
        writer.write(bytes: Self.headerGUID.bytes)
        writer.write(UInt16(Self.tableSize))
        for (guid, hash) in [(Self.cmdlineGUID, cmdlineHash), (Self.initrdGUID, initrdHash), (Self.kernelGUID, kernelHash)] {
            writer.write(bytes: guid.bytes)
            writer.write(UInt16(Self.entrySize))
            writer.write(bytes: hash)
        }
        writer.pad(to: Self.paddedSize)
        return writer.bytes
    }

    /// The 4 KiB page SNP measures: zeros with the padded table at `offset`.
    public func page(offset: Int) -> [UInt8] {
        precondition(offset >= 0 && offset + Self.paddedSize <= 4096, "hashes table must fit in its page")
        var page = [UInt8](repeating: 0, count: 4096)
        page.replaceSubrange(offset..<(offset + Self.paddedSize), with: bytes)
        return page
    }
}
