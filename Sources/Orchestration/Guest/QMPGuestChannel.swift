import QMP

/// `GuestChannel` over a QEMU's QMP socket.
public struct QMPGuestChannel: GuestChannel {
    public let client: QMPClient
    public let events: AsyncStream<GuestEvent>

    public init(client: QMPClient) {
        self.client = client
        let source = client.events
        events = AsyncStream(bufferingPolicy: .bufferingNewest(4096)) { continuation in
            let pump = Task {
                for await event in source { continuation.yield(Self.event(event)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in pump.cancel() }
        }
    }

    /// Connects to the QMP socket at `path` (greeting and capabilities negotiated); `timeout`
    /// bounds the connection and is every later command's deadline.
    public static func connect(path: String, timeout: Duration) async throws(GuestChannelError) -> QMPGuestChannel {
        do {
            return QMPGuestChannel(client: try await QMPClient.connect(path: path, timeout: timeout))
        } catch {
            throw Self.failure(error)
        }
    }

    public func launchInfo() async throws(GuestChannelError) -> SEVInfo {
        try await call { () throws(QMPError) in try await client.querySEV() }
    }

    public func launchMeasurement() async throws(GuestChannelError) -> [UInt8] {
        try await call { () throws(QMPError) in try await client.querySEVLaunchMeasure().bytes }
    }

    public func platformCertificates() async throws(GuestChannelError) -> SEVCapabilities {
        try await call { () throws(QMPError) in try await client.querySEVCapabilities() }
    }

    public func injectLaunchSecret(header: [UInt8], payload: [UInt8], guestPhysicalAddress: UInt64?) async throws(GuestChannelError) {
        try await call { () throws(QMPError) in
            try await client.injectLaunchSecret(packetHeader: header, secret: payload, guestPhysicalAddress: guestPhysicalAddress)
        }
    }

    public func isRunning() async throws(GuestChannelError) -> Bool {
        try await call { () throws(QMPError) in try await client.queryStatus().running }
    }

    public func resume() async throws(GuestChannelError) {
        try await call { () throws(QMPError) in try await client.cont() }
    }

    public func quit(timeout: Duration?) async throws(GuestChannelError) {
        try await call { () throws(QMPError) in try await client.quit(timeout: timeout) }
    }

    public func close() async {
        await client.close()
    }

    private func call<T>(_ body: () async throws(QMPError) -> T) async throws(GuestChannelError) -> T {
        do {
            return try await body()
        } catch {
            throw Self.failure(error)
        }
    }

    static func failure(_ error: QMPError) -> GuestChannelError {
        var refused = false
        if case .command = error { refused = true }
        return GuestChannelError(transport: "QMP", message: error.description, isCommandRefusal: refused)
    }

    static func event(_ event: QMPEvent) -> GuestEvent {
        var flags: [String: Bool] = [:]
        var strings: [String: String] = [:]
        for (key, value) in event.data {
            if let flag = value.boolValue { flags[key] = flag }
            if let text = value.stringValue { strings[key] = text }
        }
        let details = event.data.isEmpty ? "" : QMPValue.object(event.data).jsonText()
        return GuestEvent(name: event.name, details: details, flags: flags, strings: strings)
    }
}
