/// A certificate in the SEV platform format (SEV API 55766, appendix "SEV Certificate
/// Format"): the 2084-byte structure the firmware uses for the PDH, PEK, OCA and CEK, and the
/// guest owner for its Diffie-Hellman key (GODH).
///
/// Layout (little-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0x000 | 4 | version (1) |
/// | 0x004 | 1 | API major |
/// | 0x005 | 1 | API minor |
/// | 0x006 | 2 | reserved |
/// | 0x008 | 4 | public key usage |
/// | 0x00C | 4 | public key algorithm |
/// | 0x010 | 1028 | public key |
/// | 0x414 | 4+4+512 | signature 1 (usage, algorithm, signature) |
/// | 0x61C | 4+4+512 | signature 2 |
///
/// Every byte is kept (reserved ones included), so `encoded` reproduces the input exactly.
public struct SEVPlatformCertificate: Sendable, Hashable, SEVCertificateFraming {
    public static let size = 2084
    /// The signatures cover bytes 0x000..<0x414 (version through public key).
    public static let signedSize = 0x414

    public var version: UInt32
    public var apiMajor: UInt8
    public var apiMinor: UInt8
    public var reserved: UInt16
    public var usage: SEVKeyUsage
    public var algorithm: SEVAlgorithm
    /// The raw 1028-byte public key field (interpreted by `ecPublicKey()`).
    public var publicKeyField: [UInt8]
    public var signatures: [SEVSignatureSlot]

    /// Decodes exactly one certificate from `bytes` (2084 bytes; more is an error).
    /// `name` appears in errors ("PDH certificate in chain.cert").
    public init(bytes: [UInt8], name: String = "SEV certificate") throws(SEVCertificateError) {
        try self.init(exactly: bytes, name: name, certificate: "\(Self.size)-byte certificate")
    }

    /// Decodes one certificate at the reader's position (for chains).
    public init(reader: inout ByteReader) throws(SEVCertificateError) {
        do throws(ByteDecodingError) {
            version = try reader.readSEVCertificateVersion()
            apiMajor = try reader.readInteger(UInt8.self, field: "API major")
            apiMinor = try reader.readInteger(UInt8.self, field: "API minor")
            reserved = try reader.readInteger(UInt16.self, field: "reserved")
            usage = SEVKeyUsage(rawValue: try reader.readInteger(UInt32.self, field: "public key usage"))
            algorithm = SEVAlgorithm(rawValue: try reader.readInteger(UInt32.self, field: "public key algorithm"))
            publicKeyField = try reader.readBytes(SEVECPublicKey.encodedSize, field: "public key")
            var slots: [SEVSignatureSlot] = []
            for index in 1...2 {
                let slotUsage = try reader.readInteger(UInt32.self, field: "signature \(index) usage")
                let slotAlgorithm = try reader.readInteger(UInt32.self, field: "signature \(index) algorithm")
                let signature = try reader.readBytes(SEVSignatureSlot.signatureSize, field: "signature \(index)")
                slots.append(SEVSignatureSlot(
                    usage: SEVKeyUsage(rawValue: slotUsage), algorithm: SEVAlgorithm(rawValue: slotAlgorithm),
                    signature: signature))
            }
            signatures = slots
        } catch {
            throw .malformed(error)
        }
    }

    /// An unsigned certificate for `key` (used for the guest owner's GODH, which the firmware
    /// accepts without signatures). API version 0.0, both slots empty.
    public init(usage: SEVKeyUsage, algorithm: SEVAlgorithm, key: SEVECPublicKey, apiMajor: UInt8 = 0, apiMinor: UInt8 = 0) {
        version = 1
        self.apiMajor = apiMajor
        self.apiMinor = apiMinor
        reserved = 0
        self.usage = usage
        self.algorithm = algorithm
        publicKeyField = key.encoded
        signatures = [.empty, .empty]
    }

    /// The 2084-byte encoding.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.write(bytes: signedBytes)
        for slot in signatures {
            writer.write(slot.usage.rawValue)
            writer.write(slot.algorithm.rawValue)
            writer.write(bytes: slot.signature)
        }
        precondition(writer.count == Self.size)
        return writer.bytes
    }

    /// The bytes the signatures cover (0x000..<0x414).
    public var signedBytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.signedSize)
        writer.write(version)
        writer.write(apiMajor)
        writer.write(apiMinor)
        writer.write(reserved)
        writer.write(usage.rawValue)
        writer.write(algorithm.rawValue)
        writer.write(bytes: publicKeyField)
        return writer.bytes
    }

    /// The P-384 public key, for ECDSA and ECDH certificates. An RSA key is reported as the
    /// wrong key type (the SEV API allows it, no AMD platform issues one).
    public func ecPublicKey(name: String? = nil) throws(SEVCertificateError) -> SEVECPublicKey {
        let name = name ?? "\(usage) certificate"
        guard let kind = algorithm.keyKind, kind != .rsa else {
            throw .wrongKeyType(certificate: name, expected: "an ECDSA or ECDH P-384 key", found: "algorithm \(algorithm)")
        }
        return try SEVECPublicKey(field: publicKeyField, certificate: name)
    }
}
