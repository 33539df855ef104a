/// A status code the SEV firmware returns for a command (SEV API 55766 "Status Codes", SNP ABI
/// 56860 adds 0x19 and up), with its name and one sentence saying what it means.
///
/// Every firmware error sevhost prints carries both, because the bare number is what users
/// otherwise have to look up in the spec.
public struct FirmwareStatusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The name as the specs and `<linux/psp-sev.h>` spell it (without the SEV_RET_ prefix).
    public var name: String { Self.table[rawValue]?.name ?? "UNKNOWN" }

    /// One sentence on what the firmware is saying.
    public var meaning: String {
        Self.table[rawValue]?.meaning ?? "The firmware returned a status code the SEV API does not define."
    }

    /// `0x0016 INVALID_PARAM: a parameter of the command is invalid`, to end a sentence.
    public var description: String {
        // "The platform …" reads "the platform …" after the colon; acronyms (RMP, ASID) stay.
        let article = ["The ", "A ", "An "].contains { meaning.hasPrefix($0) }
        let sentence = (article ? meaning.prefix(1).lowercased() + meaning.dropFirst() : meaning).dropLast()
        return "\(hexCode) \(name): " + sentence
    }

    /// `0x000B`: the code as the specs' tables print it.
    public var hexCode: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    public static let success = FirmwareStatusCode(rawValue: 0x00)
    public static let invalidPlatformState = FirmwareStatusCode(rawValue: 0x01)
    public static let invalidGuestState = FirmwareStatusCode(rawValue: 0x02)
    public static let invalidConfig = FirmwareStatusCode(rawValue: 0x03)
    public static let invalidLength = FirmwareStatusCode(rawValue: 0x04)
    public static let alreadyOwned = FirmwareStatusCode(rawValue: 0x05)
    public static let invalidCertificate = FirmwareStatusCode(rawValue: 0x06)
    public static let policyFailure = FirmwareStatusCode(rawValue: 0x07)
    public static let inactive = FirmwareStatusCode(rawValue: 0x08)
    public static let invalidAddress = FirmwareStatusCode(rawValue: 0x09)
    public static let badSignature = FirmwareStatusCode(rawValue: 0x0A)
    public static let badMeasurement = FirmwareStatusCode(rawValue: 0x0B)
    public static let invalidCommand = FirmwareStatusCode(rawValue: 0x11)
    public static let hardwareErrorPlatform = FirmwareStatusCode(rawValue: 0x13)
    public static let unsupported = FirmwareStatusCode(rawValue: 0x15)
    public static let invalidParam = FirmwareStatusCode(rawValue: 0x16)
    public static let invalidPageState = FirmwareStatusCode(rawValue: 0x1A)
    public static let badSVN = FirmwareStatusCode(rawValue: 0x21)

    static let table: [UInt32: (name: String, meaning: String)] = [
        0x00: ("SUCCESS", "The command completed."),
        0x01: ("INVALID_PLATFORM_STATE", "The platform is not in a state that allows this command (e.g. guests are running, or it is not initialized)."),
        0x02: ("INVALID_GUEST_STATE", "The guest is not in a state that allows this command."),
        0x03: ("INVALID_CONFIG", "The platform configuration is invalid."),
        0x04: ("INVALID_LEN", "A buffer is too small for what the firmware has to write."),
        0x05: ("ALREADY_OWNED", "The platform is already owned by an external OCA; reset it first."),
        0x06: ("INVALID_CERTIFICATE", "A certificate is malformed or its signature does not verify."),
        0x07: ("POLICY_FAILURE", "The guest policy or the platform's configuration forbids the request."),
        0x08: ("INACTIVE", "The guest is not active."),
        0x09: ("INVALID_ADDRESS", "An address given to the firmware is invalid."),
        0x0A: ("BAD_SIGNATURE", "A signature does not verify."),
        0x0B: ("BAD_MEASUREMENT", "A measurement does not match."),
        0x0C: ("ASID_OWNED", "The ASID is already owned by another guest."),
        0x0D: ("INVALID_ASID", "The ASID is invalid."),
        0x0E: ("WBINVD_REQUIRED", "Caches must be written back and invalidated (WBINVD) first."),
        0x0F: ("DF_FLUSH_REQUIRED", "A DF_FLUSH must be issued first."),
        0x10: ("INVALID_GUEST", "The guest handle is invalid."),
        0x11: ("INVALID_COMMAND", "The firmware does not know this command."),
        0x12: ("ACTIVE", "The guest is still active."),
        0x13: ("HWERROR_PLATFORM", "A hardware error occurred on the platform; the system must be reset."),
        0x14: ("HWERROR_UNSAFE", "A hardware error left the platform in an unsafe state."),
        0x15: ("UNSUPPORTED", "The firmware does not support this feature."),
        0x16: ("INVALID_PARAM", "A parameter of the command is invalid."),
        0x17: ("RESOURCE_LIMIT", "The firmware ran out of a resource (e.g. ASIDs or memory)."),
        0x18: ("SECURE_DATA_INVALID", "Secure data failed its integrity check."),
        0x19: ("INVALID_PAGE_SIZE", "The page size is invalid for this operation."),
        0x1A: ("INVALID_PAGE_STATE", "A page is not in the RMP state this command needs."),
        0x1B: ("INVALID_MDATA_ENTRY", "A metadata entry is invalid."),
        0x1C: ("INVALID_PAGE_OWNER", "A page belongs to another owner."),
        0x1D: ("AEAD_OFLOW", "An AEAD counter would overflow."),
        0x1F: ("EXIT_RING_BUFFER", "The ring buffer command was exited."),
        0x20: ("RMP_INIT_REQUIRED", "The RMP must be initialized first (SNP_INIT)."),
        0x21: ("BAD_SVN", "The security version number is too low."),
        0x22: ("BAD_VERSION", "The version is not valid for this operation."),
        0x23: ("SHUTDOWN_REQUIRED", "The firmware must be shut down first."),
        0x24: ("UPDATE_FAILED", "The firmware update failed."),
        0x25: ("RESTORE_REQUIRED", "A restore is required first."),
        0x26: ("RMP_INITIALIZATION_FAILED", "The RMP could not be initialized."),
        0x27: ("INVALID_KEY", "The key is invalid."),
    ]
}
