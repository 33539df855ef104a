import SEVKit

/// A launch command the simulated firmware refused: the status code the AMD firmware returns
/// for it (SEVKit's `FirmwareStatusCode`, whose names are the specs' and the kernel's) and what
/// was wrong beyond the code (never secret bytes). QEMU reports a failed firmware command with
/// the code and its name (`fw_error=11 'Bad measurement'`), so the simulator's refusals carry both.
public struct SEVFirmwareStatus: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: FirmwareStatusCode
    public var detail: String

    public init(_ status: FirmwareStatusCode, detail: String) {
        self.status = status
        self.detail = detail
    }

    /// The number, as QEMU's `fw_error=` prints it.
    public var code: UInt32 { status.rawValue }
    /// The name, as the specs spell it (`BAD_MEASUREMENT`).
    public var name: String { status.name }

    public static func invalidGuestState(_ detail: String) -> SEVFirmwareStatus { .init(.invalidGuestState, detail: detail) }
    public static func invalidLength(_ detail: String) -> SEVFirmwareStatus { .init(.invalidLength, detail: detail) }
    public static func invalidCertificate(_ detail: String) -> SEVFirmwareStatus { .init(.invalidCertificate, detail: detail) }
    public static func policyFailure(_ detail: String) -> SEVFirmwareStatus { .init(.policyFailure, detail: detail) }
    public static func invalidAddress(_ detail: String) -> SEVFirmwareStatus { .init(.invalidAddress, detail: detail) }
    public static func badSignature(_ detail: String) -> SEVFirmwareStatus { .init(.badSignature, detail: detail) }
    public static func badMeasurement(_ detail: String) -> SEVFirmwareStatus { .init(.badMeasurement, detail: detail) }
    public static func invalidPageState(_ detail: String) -> SEVFirmwareStatus { .init(.invalidPageState, detail: detail) }
    public static func hardwareError(_ detail: String) -> SEVFirmwareStatus { .init(.hardwareErrorPlatform, detail: detail) }
    public static func invalidParameter(_ detail: String) -> SEVFirmwareStatus { .init(.invalidParam, detail: detail) }

    public var description: String {
        "firmware status \(status.hexCode) \(name): \(detail)"
    }
}
