/// `query-status`: whether the guest's vCPUs run, and QEMU's run state.
public struct QueryStatus: QMPCommand {
    public static let name = "query-status"
    public init() {}

    public static func decodeReply(_ value: QMPValue) throws(QMPError) -> QMPStatus {
        let reader = try QMPReplyReader(command: name, value: value)
        return QMPStatus(status: QMPRunState(rawValue: try reader.string("status")), running: try reader.bool("running"))
    }
}

/// The reply of `query-status`.
public struct QMPStatus: Sendable, Hashable {
    public var status: QMPRunState
    public var running: Bool

    public init(status: QMPRunState, running: Bool) {
        self.status = status
        self.running = running
    }
}

/// QEMU's `RunState`. An open set: a newer QEMU may report a state this build does not name.
public struct QMPRunState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Started with `-S`, never run: where a pre-attestation flow finds an SEV guest.
    public static let prelaunch = QMPRunState(rawValue: "prelaunch")
    public static let running = QMPRunState(rawValue: "running")
    public static let paused = QMPRunState(rawValue: "paused")
    public static let shutdown = QMPRunState(rawValue: "shutdown")
    public static let internalError = QMPRunState(rawValue: "internal-error")
}
