/// A LAUNCH_SECRET packet (SEV API 55766, "LAUNCH_SECRET"): the 52-byte header (flags, IV,
/// MAC) and the encrypted payload, what QMP `sev-inject-launch-secret` and
/// `virsh domsetlaunchsecstate` take base64-encoded.
///
/// payload = AES-128-CTR(TEK, IV, table); MAC = HMAC-SHA256(TIK, 0x01 ‖ flags ‖ IV ‖
/// guest length ‖ transport length ‖ payload ‖ measurement), lengths as u32 LE (equal here:
/// the table is sent whole), measurement the 32-byte LAUNCH_MEASURE result. Binding the MAC to
/// the measurement is what makes the firmware refuse a secret for any other launch.
public struct LaunchSecretPacket: Sendable, Hashable {
    public static let headerSize = 52

    /// The header as a file or text may hold it (`BlobText`).
    public static let headerSizes = BlobText.Sizes.exactly(headerSize)

    /// A payload as a file or text may hold it: the encrypted secret table, whole 16-byte
    /// blocks, at most the table's maximum.
    public static let payloadSizes = BlobText.Sizes(description: "a multiple of 16 bytes up to \(SecretTable.maximumSize)") {
        $0 > 0 && $0 % 16 == 0 && $0 <= SecretTable.maximumSize
    }

    public var flags: UInt32
    public var iv: [UInt8]
    public var mac: [UInt8]
    public var payload: [UInt8]

    public init(table: SecretTable, tek: [UInt8], tik: [UInt8], measurement: [UInt8], iv: [UInt8], flags: UInt32 = 0) throws(LaunchSecretError) {
        try self.init(plaintext: try table.encoded(), tek: tek, tik: tik, measurement: measurement, iv: iv, flags: flags)
    }

    public init(plaintext: [UInt8], tek: [UInt8], tik: [UInt8], measurement: [UInt8], iv: [UInt8], flags: UInt32 = 0) throws(LaunchSecretError) {
        guard tek.count == 16 else { throw .badKey(name: "TEK", length: tek.count) }
        guard tik.count == 16 else { throw .badKey(name: "TIK", length: tik.count) }
        guard iv.count == 16 else { throw .badIV(length: iv.count) }
        let measure: [UInt8]
        switch measurement.count {
        case 32: measure = measurement
        case LaunchMeasurement.size: measure = Array(measurement[0..<32])
        default: throw .badMeasurement(length: measurement.count)
        }
        let ciphertext = SEVKeyDerivation.aes128CTR(key: tek, iv: iv, plaintext)
        var message = ByteWriter(capacity: 1 + 4 + 16 + 8 + ciphertext.count + 32)
        message.write(UInt8(0x01))
        message.write(flags)
        message.write(bytes: iv)
        message.write(UInt32(plaintext.count))
        message.write(UInt32(ciphertext.count))
        message.write(bytes: ciphertext)
        message.write(bytes: measure)
        self.flags = flags
        self.iv = iv
        self.mac = SEVKeyDerivation.mac(key: tik, message.bytes)
        self.payload = ciphertext
    }

    /// flags ‖ IV ‖ MAC.
    public var header: [UInt8] {
        var writer = ByteWriter(capacity: Self.headerSize)
        writer.write(flags)
        writer.write(bytes: iv)
        writer.write(bytes: mac)
        return writer.bytes
    }

    /// A fresh random IV.
    public static func randomIV() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
