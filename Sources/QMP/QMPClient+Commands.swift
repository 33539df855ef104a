/// One method per typed command, so callers read like the flow they implement.
extension QMPClient {
    public func queryStatus(timeout: Duration? = nil) async throws(QMPError) -> QMPStatus {
        try await execute(QueryStatus(), timeout: timeout)
    }

    public func cont(timeout: Duration? = nil) async throws(QMPError) {
        _ = try await execute(Cont(), timeout: timeout)
    }

    public func stop(timeout: Duration? = nil) async throws(QMPError) {
        _ = try await execute(Stop(), timeout: timeout)
    }

    /// Sends `quit`. QEMU may close the socket as it exits before its reply is read; a
    /// disconnect while waiting for that reply is the request succeeding, not an error.
    public func quit(timeout: Duration? = nil) async throws(QMPError) {
        do {
            _ = try await execute(Quit(), timeout: timeout)
        } catch .disconnected(during: "the reply to \(Quit.name)") {
            return
        }
    }

    public func querySEV(timeout: Duration? = nil) async throws(QMPError) -> SEVInfo {
        try await execute(QuerySEV(), timeout: timeout)
    }

    public func querySEVLaunchMeasure(timeout: Duration? = nil) async throws(QMPError) -> SEVLaunchMeasurement {
        try await execute(QuerySEVLaunchMeasure(), timeout: timeout)
    }

    public func querySEVCapabilities(timeout: Duration? = nil) async throws(QMPError) -> SEVCapabilities {
        try await execute(QuerySEVCapabilities(), timeout: timeout)
    }

    public func querySEVAttestationReport(mnonce: [UInt8], timeout: Duration? = nil) async throws(QMPError) -> SEVAttestationReport {
        try await execute(QuerySEVAttestationReport(mnonce: mnonce), timeout: timeout)
    }

    public func injectLaunchSecret(packetHeader: [UInt8], secret: [UInt8], guestPhysicalAddress: UInt64? = nil, timeout: Duration? = nil) async throws(QMPError) {
        _ = try await execute(
            SEVInjectLaunchSecret(packetHeader: packetHeader, secret: secret, guestPhysicalAddress: guestPhysicalAddress),
            timeout: timeout)
    }
}
