/// The LAUNCH_MEASURE result (SEV API 55766): a 32-byte HMAC and the 16-byte MNONCE the
/// firmware chose, which QEMU's `query-sev-launch-measure` returns base64-encoded as one
/// 48-byte blob (measurement ‖ mnonce).
public struct LaunchMeasurement: Sendable, Hashable {
    public static let size = 48

    public var measurement: [UInt8]
    public var mnonce: [UInt8]

    public init(measurement: [UInt8], mnonce: [UInt8]) {
        precondition(measurement.count == 32 && mnonce.count == 16)
        self.measurement = measurement
        self.mnonce = mnonce
    }

    public init(blob: [UInt8], name: String = "launch measurement") throws(ByteDecodingError) {
        guard blob.count == Self.size else {
            throw ByteDecodingError(
                context: name, offset: min(blob.count, Self.size),
                reason: "expected the 48-byte measurement ‖ MNONCE blob, found \(blob.count) bytes")
        }
        measurement = Array(blob[0..<32])
        mnonce = Array(blob[32..<48])
    }

    public var encoded: [UInt8] { measurement + mnonce }

    /// The HMAC the firmware computes at LAUNCH_MEASURE:
    /// HMAC-SHA256(TIK, 0x04 ‖ API major ‖ API minor ‖ build ‖ policy (u32 LE) ‖ launch digest ‖ MNONCE).
    public static func expected(
        tik: [UInt8], apiMajor: UInt8, apiMinor: UInt8, buildID: UInt8, policy: UInt32,
        launchDigest: [UInt8], mnonce: [UInt8]
    ) -> LaunchMeasurement {
        var message = ByteWriter(capacity: 1 + 3 + 4 + launchDigest.count + mnonce.count)
        message.write(UInt8(0x04))
        message.write(apiMajor)
        message.write(apiMinor)
        message.write(buildID)
        message.write(policy)
        message.write(bytes: launchDigest)
        message.write(bytes: mnonce)
        return LaunchMeasurement(measurement: SEVKeyDerivation.mac(key: tik, message.bytes), mnonce: mnonce)
    }

    /// Compares in constant time (the measurement is a MAC).
    public func matches(_ other: LaunchMeasurement) -> Bool {
        guard measurement.count == other.measurement.count, mnonce == other.mnonce else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(measurement, other.measurement) { difference |= a ^ b }
        return difference == 0
    }
}
