/// `query-sev-capabilities`: the platform's PDH, certificate chain and address-translation facts.
public struct QuerySEVCapabilities: QMPCommand {
    public static let name = "query-sev-capabilities"
    public init() {}

    public static func decodeReply(_ value: QMPValue) throws(QMPError) -> SEVCapabilities {
        let reader = try QMPReplyReader(command: name, value: value)
        return SEVCapabilities(
            pdh: try reader.base64("pdh"),
            certificateChain: try reader.base64("cert-chain"),
            cpu0ID: reader.has("cpu0-id") ? try reader.base64("cpu0-id") : nil,
            cBitPosition: try reader.integer("cbitpos"),
            reducedPhysicalBits: try reader.integer("reduced-phys-bits"))
    }
}

/// The reply of `query-sev-capabilities`, blobs base64-decoded.
public struct SEVCapabilities: Sendable, Hashable {
    /// The platform Diffie-Hellman key certificate (SEV certificate format).
    public var pdh: [UInt8]
    /// PDH's chain as the firmware exports it: PEK, OCA and CEK certificates.
    public var certificateChain: [UInt8]
    /// The chip's unique ID (selects its CEK from AMD's KDS); absent before QEMU 7.1.
    public var cpu0ID: [UInt8]?
    /// Position of the C-bit in a guest page-table entry.
    public var cBitPosition: Int
    /// How many physical address bits SEV takes away.
    public var reducedPhysicalBits: Int

    public init(pdh: [UInt8], certificateChain: [UInt8], cpu0ID: [UInt8]?, cBitPosition: Int, reducedPhysicalBits: Int) {
        self.pdh = pdh
        self.certificateChain = certificateChain
        self.cpu0ID = cpu0ID
        self.cBitPosition = cBitPosition
        self.reducedPhysicalBits = reducedPhysicalBits
    }
}
