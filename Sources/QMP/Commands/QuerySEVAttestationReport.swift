/// `query-sev-attestation-report`: an SEV (not SNP) guest's attestation report, bound to the
/// caller's 16-byte `mnonce`.
public struct QuerySEVAttestationReport: QMPCommand {
    public static let name = "query-sev-attestation-report"
    public var mnonce: [UInt8]

    public init(mnonce: [UInt8]) {
        self.mnonce = mnonce
    }

    public var arguments: QMPValue.Object? { ["mnonce": .string(mnonce.base64Text)] }

    public static func decodeReply(_ value: QMPValue) throws(QMPError) -> SEVAttestationReport {
        let reader = try QMPReplyReader(command: name, value: value)
        return SEVAttestationReport(bytes: try reader.base64("data"))
    }
}

/// The report blob (`data`, base64 on the wire).
public struct SEVAttestationReport: Sendable, Hashable {
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
}
