/// One entry of the GUIDed table that OVMF's reset vector carries at the end of the image.
///
/// The table is how a VMM (and anyone predicting a launch digest) learns where the firmware
/// wants things placed: the SEV-ES AP reset address, the SEV hashes table, the secret page,
/// the SEV metadata. Each entry is `data || u16 length || GUID`, read backwards from the footer,
/// where `length` covers the whole entry (data + 18 bytes).
public struct OVMFFooterEntry: Sendable, Hashable {
    public let guid: GUID
    /// The entry's payload (without the trailing length and GUID).
    public let data: [UInt8]
    /// File offset of the first payload byte, for error messages and `show` output.
    public let offset: Int

    public init(guid: GUID, data: [UInt8], offset: Int) {
        self.guid = guid
        self.data = data
        self.offset = offset
    }

    /// The first little-endian `UInt32` of the payload; nil when the payload is shorter.
    public var firstUInt32: UInt32? {
        data.count >= 4 ? UInt32(littleEndianBytes: data[0..<4]) : nil
    }

    /// The second little-endian `UInt32` of the payload; nil when the payload is shorter.
    public var secondUInt32: UInt32? {
        data.count >= 8 ? UInt32(littleEndianBytes: data[4..<8]) : nil
    }
}

/// GUIDs of footer-table entries that OVMF (edk2 `OvmfPkg/ResetVector`) and Coconut-SVSM define.
///
/// These are facts fixed by the firmware; naming them lets `show` output and errors speak in
/// the firmware's terms instead of raw GUIDs.
public enum OVMFFooterGUID {
    /// Marks the end of the table; sits 32 bytes before the end of the image.
    public static let footer = GUID("96b582de-1fb2-45f7-baea-a366c55a082d")!
    /// SEV-ES AP reset block: `u32` reset address for application processors.
    public static let sevESResetBlock = GUID("00f771de-1a7e-4fcb-890e-68c77e2fb44e")!
    /// SEV hashes table: `u32` GPA, `u32` size of the area QEMU fills with kernel/initrd/cmdline hashes.
    public static let sevHashTable = GUID("7255371f-3a3b-4b04-927b-1da6efa8d454")!
    /// SEV secret area: `u32` GPA, `u32` size of the area that receives the launch secret.
    public static let sevSecretBlock = GUID("4c2eb361-7d9b-4cc3-8081-127c90d3d294")!
    /// SEV metadata: `u32` offset from the end of the image to the `ASEV` header.
    public static let sevMetadata = GUID("dc886566-984a-4798-a75e-5585a7bf67cc")!
    /// SEV-SNP boot block (edk2's early SNP page description); informational here.
    public static let snpBootBlock = GUID("e47a6535-984a-4798-865e-4685a7bf8ec2")!
    /// Coconut-SVSM information: `u32` entry point offset from the start of the SVSM image.
    public static let svsmInfo = GUID("a789a612-0597-4c4b-a49f-cbb1fe9d1ddd")!

    /// A short name for a known GUID, nil for others.
    public static func name(of guid: GUID) -> String? {
        switch guid {
        case footer: "footer"
        case sevESResetBlock: "SEV-ES reset block"
        case sevHashTable: "SEV hash table"
        case sevSecretBlock: "SEV secret block"
        case sevMetadata: "SEV metadata"
        case snpBootBlock: "SNP boot block"
        case svsmInfo: "SVSM info"
        default: nil
        }
    }
}
