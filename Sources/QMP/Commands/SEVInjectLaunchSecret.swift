/// `sev-inject-launch-secret`: hands the guest owner's LAUNCH_SECRET packet to the firmware.
///
/// Without `gpa` QEMU looks up the secret area in the firmware's SEV metadata (OVMF's
/// `SevSecretBlock`); with it, the secret goes to that guest-physical address.
public struct SEVInjectLaunchSecret: QMPCommand {
    public typealias Reply = QMPEmptyReply
    public static let name = "sev-inject-launch-secret"

    /// The packet header (flags, IV, MAC) exactly as the guest owner produced it.
    public var packetHeader: [UInt8]
    /// The encrypted secret table.
    public var secret: [UInt8]
    public var guestPhysicalAddress: UInt64?

    public init(packetHeader: [UInt8], secret: [UInt8], guestPhysicalAddress: UInt64? = nil) {
        self.packetHeader = packetHeader
        self.secret = secret
        self.guestPhysicalAddress = guestPhysicalAddress
    }

    public var arguments: QMPValue.Object? {
        var arguments: QMPValue.Object = [
            "packet-header": .string(packetHeader.base64Text),
            "secret": .string(secret.base64Text),
        ]
        if let guestPhysicalAddress { arguments["gpa"] = .unsigned(guestPhysicalAddress) }
        return arguments
    }
}
