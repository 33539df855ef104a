/// The status codes the SEV firmware returns (SEV API 55766, "Status Codes"), for the ones the
/// simulator can produce. QEMU reports a failed firmware command with the code and its name
/// (`fw_error=11 'Bad measurement'`), so the simulator's refusals carry both too.
public struct SEVFirmwareStatus: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: UInt32
    public var name: String
    /// What was wrong, beyond the code (never secret bytes).
    public var detail: String

    public init(code: UInt32, name: String, detail: String) {
        self.code = code
        self.name = name
        self.detail = detail
    }

    public static func invalidGuestState(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x02, name: "INVALID_GUEST_STATE", detail: detail)
    }
    public static func invalidLength(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x04, name: "INVALID_LENGTH", detail: detail)
    }
    public static func invalidCertificate(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x06, name: "INVALID_CERTIFICATE", detail: detail)
    }
    public static func policyFailure(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x07, name: "POLICY_FAILURE", detail: detail)
    }
    public static func invalidAddress(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x09, name: "INVALID_ADDRESS", detail: detail)
    }
    public static func badSignature(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x0a, name: "BAD_SIGNATURE", detail: detail)
    }
    public static func invalidPageState(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x1a, name: "INVALID_PAGE_STATE", detail: detail)
    }
    public static func badMeasurement(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x0b, name: "BAD_MEASUREMENT", detail: detail)
    }
    public static func invalidParameter(_ detail: String) -> SEVFirmwareStatus {
        SEVFirmwareStatus(code: 0x16, name: "INVALID_PARAM", detail: detail)
    }

    public var description: String {
        "firmware status 0x\(String(code, radix: 16)) \(name): \(detail)"
    }
}
