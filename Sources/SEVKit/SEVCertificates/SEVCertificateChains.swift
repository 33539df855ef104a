/// The SEV platform chain as the firmware exports it and sevctl stores it: PDH, PEK, OCA,
/// CEK, 2084 bytes each, in that order.
public struct SEVPlatformChain: Sendable, Hashable {
    public var pdh: SEVPlatformCertificate
    public var pek: SEVPlatformCertificate
    public var oca: SEVPlatformCertificate
    public var cek: SEVPlatformCertificate

    public static let order: [SEVKeyUsage] = [.pdh, .pek, .oca, .cek]
    public static let size = 4 * SEVPlatformCertificate.size

    public init(pdh: SEVPlatformCertificate, pek: SEVPlatformCertificate, oca: SEVPlatformCertificate, cek: SEVPlatformCertificate) {
        self.pdh = pdh
        self.pek = pek
        self.oca = oca
        self.cek = cek
    }

    /// Reads the four certificates at the reader's position, checking each one's usage.
    public init(reader: inout ByteReader) throws(SEVCertificateError) {
        var certificates: [SEVPlatformCertificate] = []
        for expected in Self.order {
            let start = reader.offset
            let certificate = try SEVPlatformCertificate(reader: &reader)
            guard certificate.usage == expected else {
                throw .unexpectedUsage(
                    position: "\(reader.context), certificate at offset \(start)", expected: expected, found: certificate.usage)
            }
            certificates.append(certificate)
        }
        self.init(pdh: certificates[0], pek: certificates[1], oca: certificates[2], cek: certificates[3])
    }

    public var encoded: [UInt8] { pdh.encoded + pek.encoded + oca.encoded + cek.encoded }
}

/// The AMD CA chain as AMD publishes it (`ask_ark_<product>.cert`): ASK then ARK.
public struct AMDCAChain: Sendable, Hashable {
    public var ask: AMDCACertificate
    public var ark: AMDCACertificate

    public init(ask: AMDCACertificate, ark: AMDCACertificate) {
        self.ask = ask
        self.ark = ark
    }

    public init(reader: inout ByteReader) throws(SEVCertificateError) {
        let askStart = reader.offset
        let ask = try AMDCACertificate(reader: &reader)
        guard ask.usage == .ask else {
            throw .unexpectedUsage(position: "\(reader.context), certificate at offset \(askStart)", expected: .ask, found: ask.usage)
        }
        let arkStart = reader.offset
        let ark = try AMDCACertificate(reader: &reader)
        guard ark.usage == .ark else {
            throw .unexpectedUsage(position: "\(reader.context), certificate at offset \(arkStart)", expected: .ark, found: ark.usage)
        }
        self.init(ask: ask, ark: ark)
    }

    /// Decodes a whole file holding exactly ASK then ARK.
    public init(bytes: [UInt8], name: String) throws(SEVCertificateError) {
        var reader = ByteReader(bytes, context: name)
        try self.init(reader: &reader)
        try Self.expectEnd(reader)
    }

    public var encoded: [UInt8] { ask.encoded + ark.encoded }

    static func expectEnd(_ reader: ByteReader) throws(SEVCertificateError) {
        guard reader.remaining == 0 else {
            throw .malformed(ByteDecodingError(
                context: reader.context, offset: reader.offset, reason: "\(reader.remaining) unexpected bytes after the chain"))
        }
    }
}

/// What a chain file holds: the platform chain, and the CA chain when the file is a full
/// export (`sevctl export --full`: PDH, PEK, OCA, CEK, ASK, ARK).
public struct SEVChainFile: Sendable, Hashable {
    public var platform: SEVPlatformChain
    public var ca: AMDCAChain?

    public init(platform: SEVPlatformChain, ca: AMDCAChain?) {
        self.platform = platform
        self.ca = ca
    }

    public init(bytes: [UInt8], name: String) throws(SEVCertificateError) {
        var reader = ByteReader(bytes, context: name)
        platform = try SEVPlatformChain(reader: &reader)
        ca = reader.remaining == 0 ? nil : try AMDCAChain(reader: &reader)
        try AMDCAChain.expectEnd(reader)
    }

    public var encoded: [UInt8] { platform.encoded + (ca?.encoded ?? []) }
}
