import SEVKit

/// `firmware.json`: the firmware's answers, or the error each command gave at capture time.
public struct CapturedFirmware: Codable, Sendable, Equatable {
    public var platformStatus: SEVPlatformStatus?
    public var platformStatusError: String?
    public var snpPlatformStatus: SNPPlatformStatus?
    public var snpPlatformStatusError: String?

    public init(
        platformStatus: Result<SEVPlatformStatus, FirmwareQueryFailure>,
        snpPlatformStatus: Result<SNPPlatformStatus, FirmwareQueryFailure>
    ) {
        switch platformStatus {
        case .success(let status): self.platformStatus = status
        case .failure(let failure): platformStatusError = failure.message
        }
        switch snpPlatformStatus {
        case .success(let status): self.snpPlatformStatus = status
        case .failure(let failure): snpPlatformStatusError = failure.message
        }
    }

    enum CodingKeys: String, CodingKey {
        case platformStatus = "platform-status"
        case platformStatusError = "platform-status-error"
        case snpPlatformStatus = "snp-platform-status"
        case snpPlatformStatusError = "snp-platform-status-error"
    }
}

/// A firmware command could not be issued or failed; `message` says why in one sentence.
public struct FirmwareQueryFailure: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
