/// `query-sev-launch-measure`: the firmware's LAUNCH_MEASURE result for an SEV/SEV-ES guest.
public struct QuerySEVLaunchMeasure: QMPCommand {
    public static let name = "query-sev-launch-measure"
    public init() {}

    public static func decodeReply(_ value: QMPValue) throws(QMPError) -> SEVLaunchMeasurement {
        let reader = try QMPReplyReader(command: name, value: value)
        return SEVLaunchMeasurement(bytes: try reader.base64("data"))
    }
}

/// The measurement blob (`data`, base64 on the wire): for SEV it is the 32-byte HMAC followed
/// by the 16-byte MNONCE; it is kept whole here and split by whoever verifies it.
public struct SEVLaunchMeasurement: Sendable, Hashable {
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
}
