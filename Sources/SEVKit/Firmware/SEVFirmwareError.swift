/// Why a firmware command failed, as one sentence naming the command.
///
/// Typed so callers can tell a missing device (expected on most machines) from a firmware
/// refusal (whose status code and meaning are always part of the message).
public struct SEVFirmwareError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The firmware device could not be opened (`unable to open /dev/sev: …`).
        case deviceUnavailable(path: String, reason: String)
        /// The ioctl itself failed without a firmware status (the kernel refused it).
        case system(reason: String)
        /// The firmware ran the command and returned a non-zero status.
        case firmware(FirmwareStatusCode)
        /// The command's answer was not what the API defines.
        case invalidResponse(reason: String)
        /// This implementation cannot issue the command at all.
        case unsupported(reason: String)
        /// The simulated firmware's state directory is unusable.
        case state(reason: String)
    }

    /// The SEV API name of the command (`PEK_CERT_IMPORT`), or nil before any command.
    public var command: String?
    public var reason: Reason

    public init(command: String?, _ reason: Reason) {
        self.command = command
        self.reason = reason
    }

    public var description: String {
        let detail: String
        switch reason {
        case .deviceUnavailable(let path, let why): return "unable to open \(path): \(why)"
        case .system(let why): detail = why
        case .firmware(let code): detail = "firmware status \(code)"
        case .invalidResponse(let why): detail = "unexpected answer: \(why)"
        case .unsupported(let why): detail = why
        case .state(let why): return why
        }
        return command.map { "\($0) failed: \(detail)" } ?? detail
    }

    /// The firmware status, when the firmware itself refused the command.
    public var status: FirmwareStatusCode? {
        if case .firmware(let code) = reason { return code }
        return nil
    }
}
