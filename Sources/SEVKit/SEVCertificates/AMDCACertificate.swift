/// A certificate in AMD's CA format (SEV API 55766, appendix "AMD Root Key and AMD Signing
/// Key Certificate Format"): the ARK and the ASK of the legacy SEV chain.
///
/// Layout (little-endian): version (4, = 1), key id (16), certifying id (16), key usage (4),
/// reserved (16), public exponent size in bits (4), modulus size in bits (4), public exponent,
/// modulus, signature (each `size / 8` bytes, little-endian). The signature is RSASSA-PSS over
/// everything before it, SHA-256 with a 32-byte salt for 2048-bit keys (Naples) and SHA-384
/// with a 48-byte salt for 4096-bit keys (Rome and later).
public struct AMDCACertificate: Sendable, Hashable, SEVCertificateFraming {
    /// Fixed part before the exponent.
    public static let preambleSize = 64

    public var version: UInt32
    public var keyID: [UInt8]
    public var certifyingID: [UInt8]
    public var usage: SEVKeyUsage
    public var reserved: [UInt8]
    public var publicExponentBits: UInt32
    public var modulusBits: UInt32
    /// Little-endian, as stored.
    public var publicExponent: [UInt8]
    /// Little-endian, as stored.
    public var modulus: [UInt8]
    /// Little-endian, as stored.
    public var signature: [UInt8]
    /// True when the signature was missing from the input and supplied from AMD's separately
    /// published Naples ARK signature (see `NaplesARK`).
    public private(set) var signatureWasSupplied: Bool = false

    /// Decodes exactly one certificate from `bytes`.
    public init(bytes: [UInt8], name: String = "AMD CA certificate") throws(SEVCertificateError) {
        try self.init(exactly: bytes, name: name, certificate: "certificate")
    }

    /// Decodes one certificate at the reader's position.
    ///
    /// The Naples ARK as AMD first published it stops before its signature (AMDESE/AMDSEV#17).
    /// When the input ends exactly there and the preamble is that ARK's, AMD's separately
    /// published signature is supplied; any other truncation is an error naming the offset.
    public init(reader: inout ByteReader) throws(SEVCertificateError) {
        do throws(ByteDecodingError) {
            version = try reader.readSEVCertificateVersion()
            keyID = try reader.readBytes(16, field: "key id")
            certifyingID = try reader.readBytes(16, field: "certifying id")
            usage = SEVKeyUsage(rawValue: try reader.readInteger(UInt32.self, field: "key usage"))
            reserved = try reader.readBytes(16, field: "reserved")
            let exponentOffset = reader.offset
            publicExponentBits = try reader.readInteger(UInt32.self, field: "public exponent size")
            let modulusOffset = reader.offset
            modulusBits = try reader.readInteger(UInt32.self, field: "modulus size")
            guard publicExponentBits % 8 == 0, publicExponentBits > 0, publicExponentBits <= 4096 else {
                throw ByteDecodingError(
                    context: reader.context, offset: exponentOffset,
                    reason: "public exponent size: expected a multiple of 8 bits up to 4096, found \(publicExponentBits)")
            }
            guard modulusBits == 2048 || modulusBits == 4096 else {
                throw ByteDecodingError(
                    context: reader.context, offset: modulusOffset,
                    reason: "modulus size: expected 2048 or 4096 bits, found \(modulusBits)")
            }
            publicExponent = try reader.readBytes(Int(publicExponentBits / 8), field: "public exponent")
            modulus = try reader.readBytes(Int(modulusBits / 8), field: "modulus")
            if reader.remaining == 0, NaplesARK.matchesPreamble(
                keyID: keyID, certifyingID: certifyingID, usage: usage, exponentBits: publicExponentBits, modulusBits: modulusBits)
            {
                signature = NaplesARK.signature
                signatureWasSupplied = true
            } else {
                signature = try reader.readBytes(Int(modulusBits / 8), field: "signature")
            }
        } catch {
            throw .malformed(error)
        }
    }

    /// The digest AMD signs with for this key size.
    public var digest: SEVDigest { modulusBits == 2048 ? .sha256 : .sha384 }

    /// Everything the signature covers: preamble, exponent and modulus.
    public var signedBytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.preambleSize + publicExponent.count + modulus.count)
        writer.write(version)
        writer.write(bytes: keyID)
        writer.write(bytes: certifyingID)
        writer.write(usage.rawValue)
        writer.write(bytes: reserved)
        writer.write(publicExponentBits)
        writer.write(modulusBits)
        writer.write(bytes: publicExponent)
        writer.write(bytes: modulus)
        return writer.bytes
    }

    /// The complete encoding (always with the signature, also for a supplied Naples one).
    public var encoded: [UInt8] { signedBytes + signature }

    /// True for a root: usage ARK and certified by itself.
    public var isSelfIssued: Bool { keyID == certifyingID }

    /// Two certificates are equal when they encode to the same bytes; how the signature was
    /// obtained (read or supplied) does not make a different certificate.
    public static func == (lhs: AMDCACertificate, rhs: AMDCACertificate) -> Bool {
        lhs.encoded == rhs.encoded
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(encoded)
    }
}
