/// How QEMU fails where the SEV hardware refuses: the lines it prints on stderr (each prefixed
/// with its program name when printed) and its exit status. The front prints them and exits
/// the same way, so a caller reading QEMU's output sees what a real SEV host would show.
public struct QEMUFailure: Error, Sendable, Hashable {
    public var lines: [String]
    public var status: Int32

    public init(_ lines: [String], status: Int32 = 1) {
        self.lines = lines
        self.status = status
    }

    /// The messages of QEMU's `fw_error_to_str` (target/i386/sev.c), by firmware status code:
    /// QEMU quotes the firmware's refusals with these, not with the specification's names.
    public static func firmwareErrorText(_ code: UInt32) -> String {
        let texts = [
            "", "Platform state is invalid", "Guest state is invalid", "Platform configuration is invalid",
            "Buffer too small", "Platform is already owned", "Certificate is invalid", "Policy is not allowed",
            "Guest is not active", "Invalid address", "Bad signature", "Bad measurement", "ASID is already owned",
            "Invalid ASID", "WBINVD is required", "DF_FLUSH is required", "Guest handle is invalid", "Invalid command",
            "Guest is active", "Hardware error", "Hardware unsafe", "Feature not supported", "Invalid parameter",
            "Required firmware resource depleted", "Part-specific integrity check failure",
        ]
        return Int(code) < texts.count ? texts[Int(code)] : "unknown error"
    }
}
