import Foundation
import Libvirt
import QMP

/// `GuestChannel` over a libvirt domain, local or on a remote host: the same pre-attestation
/// as over a QMP socket, through libvirt's launch-security calls.
///
/// libvirt speaks to QEMU's monitor itself, so the answers arrive in libvirt's shapes and are
/// put back into the firmware's (`SEVInfo`, `SEVCapabilities`) here:
/// - the measurement, firmware version, build and policy come from
///   `virDomainGetLaunchSecurityInfo` (which libvirt reads with `query-sev-launch-measure` and
///   `query-sev`);
/// - the platform's PDH and chain from `virNodeGetSEVInfo`;
/// - libvirt has no call for the firmware's launch state. A domain whose launch security
///   answers and whose vCPUs are paused is taken to be in `launch-secret`, a running one in
///   `running`. A guest that ran and was paused again passes this check, but its measurement
///   carries the MNONCE already in the replay log, and the firmware refuses a LAUNCH_SECRET
///   after the launch finished: the flow stays fail-closed.
public struct LibvirtGuestChannel: GuestChannel {
    public let connection: LibvirtConnection
    public let domain: String
    /// The domain's lifecycle events (`STARTED`, `SUSPENDED`, `RESUMED`, `STOPPED`, `SHUTDOWN`,
    /// `CRASHED`…, with libvirt's detail: `{"detail":"destroyed"}`), when the channel was made
    /// with `following`; else a stream that ends when the channel closes.
    public let events: AsyncStream<GuestEvent>
    private let finishEvents: @Sendable () -> Void
    /// Whether `close` closes the connection: not when it is shared (sevhostd keeps one per
    /// host for all its domains).
    private let ownsConnection: Bool

    public init(connection: LibvirtConnection, domain: String, ownsConnection: Bool = true) {
        self.connection = connection
        self.domain = domain
        self.ownsConnection = ownsConnection
        let (stream, continuation) = AsyncStream<GuestEvent>.makeStream()
        events = stream
        finishEvents = { continuation.finish() }
    }

    private init(connection: LibvirtConnection, domain: String, ownsConnection: Bool, following source: AsyncStream<DomainLifecycleEvent>) {
        self.connection = connection
        self.domain = domain
        self.ownsConnection = ownsConnection
        let (stream, continuation) = AsyncStream<GuestEvent>.makeStream()
        events = stream
        let relay = Task {
            for await event in source where event.domain == domain {
                continuation.yield(Self.guestEvent(event))
            }
            continuation.finish()
        }
        finishEvents = {
            relay.cancel()
            continuation.finish()
        }
    }

    /// A channel whose `events` follow the domain's lifecycle events; `connection` must have
    /// been opened with `events: true`.
    public static func following(connection: LibvirtConnection, domain: String, ownsConnection: Bool) async throws(GuestChannelError) -> LibvirtGuestChannel {
        let source: AsyncStream<DomainLifecycleEvent>
        do {
            source = try await connection.lifecycleEvents()
        } catch {
            throw Self.failure(error)
        }
        return LibvirtGuestChannel(connection: connection, domain: domain, ownsConnection: ownsConnection, following: source)
    }

    /// A lifecycle event in `GuestEvent`'s shape: libvirt's kind, upper case, as the name.
    static func guestEvent(_ event: DomainLifecycleEvent) -> GuestEvent {
        let detail = event.detailName
        return GuestEvent(name: event.kind.name.uppercased(), details: "{\"detail\":\"\(detail)\"}", flags: [:], strings: ["detail": detail])
    }

    /// Opens `uri` and checks that `domain` exists there. With `events` the channel follows
    /// the domain's lifecycle events; without (a one-shot attestation reads none), it spares
    /// the registration's round trip to libvirtd and libvirt's event thread.
    public static func connect(uri: String, domain: String, events: Bool = false) async throws(GuestChannelError) -> LibvirtGuestChannel {
        let connection: LibvirtConnection
        do {
            connection = try await LibvirtConnection.open(uri: uri, events: events)
        } catch {
            throw Self.failure(error)
        }
        do {
            try await connection.lookUp(domain: domain)
        } catch {
            await connection.close()
            throw Self.failure(error)
        }
        guard events else { return LibvirtGuestChannel(connection: connection, domain: domain) }
        do {
            return try await following(connection: connection, domain: domain, ownsConnection: true)
        } catch {
            await connection.close()
            throw error
        }
    }

    public func launchInfo() async throws(GuestChannelError) -> SEVInfo {
        let (state, info) = try await call { () throws(LibvirtError) in try await connection.launchSecurity(domain: domain) }
        return Self.sevInfo(state: state, info: info)
    }

    public func launchMeasurement() async throws(GuestChannelError) -> [UInt8] {
        let info = try await call { () throws(LibvirtError) in try await connection.launchSecurityInfo(domain: domain) }
        return try Self.measurement(info, domain: domain)
    }

    /// One `virDomainGetLaunchSecurityInfo` answers both the facts and the measurement: the
    /// measurement handed out is the one read with the state and policy just now.
    public func launchReading() async throws(GuestChannelError) -> LaunchReading {
        let (state, info) = try await call { () throws(LibvirtError) in try await connection.launchSecurity(domain: domain) }
        let name = domain
        return LaunchReading(info: Self.sevInfo(state: state, info: info)) { () throws(GuestChannelError) -> [UInt8] in
            guard let info else {
                throw GuestChannelError(transport: "libvirt", message: "\(name): libvirt reports no launch security for an inactive domain", isCommandRefusal: true)
            }
            return try Self.measurement(info, domain: name)
        }
    }

    /// The domain's state and launch security in `query-sev`'s shape.
    static func sevInfo(state: DomainState, info: LaunchSecurityInfo?) -> SEVInfo {
        let disabled = SEVInfo(enabled: false, apiMajor: 0, apiMinor: 0, buildID: 0, state: .uninit, guestType: nil, guest: .sev(policy: 0, handle: 0))
        guard state.isActive, let info else { return disabled }
        let launchState: SEVGuestState = state == .paused ? .launchSecret : state == .running ? .running : SEVGuestState(rawValue: state.name)
        let guest: SEVInfo.Guest
        if let snp = info.snpPolicy {
            guest = .sevSNP(policy: snp)
        } else if let policy = info.policy {
            guest = .sev(policy: policy, handle: 0)
        } else {
            return disabled
        }
        return SEVInfo(
            enabled: true, apiMajor: UInt8(truncatingIfNeeded: info.apiMajor ?? 0), apiMinor: UInt8(truncatingIfNeeded: info.apiMinor ?? 0),
            buildID: UInt8(truncatingIfNeeded: info.buildID ?? 0), state: launchState,
            guestType: info.snpPolicy == nil ? .sev : .sevSNP, guest: guest)
    }

    static func measurement(_ info: LaunchSecurityInfo, domain: String) throws(GuestChannelError) -> [UInt8] {
        guard let text = info.measurement, let bytes = Data(base64Encoded: text) else {
            throw GuestChannelError(transport: "libvirt", message: "\(domain): libvirt reports no base64 sev-measurement", isCommandRefusal: true)
        }
        return [UInt8](bytes)
    }

    public func platformCertificates() async throws(GuestChannelError) -> SEVCapabilities {
        let info = try await call { () throws(LibvirtError) in try await connection.sevInfo() }
        guard let pdh = Data(base64Encoded: info.pdh), let chain = Data(base64Encoded: info.certificateChain) else {
            throw GuestChannelError(transport: "libvirt", message: "virNodeGetSEVInfo: pdh or cert-chain is not base64", isCommandRefusal: true)
        }
        return SEVCapabilities(
            pdh: [UInt8](pdh), certificateChain: [UInt8](chain), cpu0ID: info.cpu0ID.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) },
            cBitPosition: info.cBitPosition, reducedPhysicalBits: info.reducedPhysicalBits)
    }

    public func injectLaunchSecret(header: [UInt8], payload: [UInt8], guestPhysicalAddress: UInt64?) async throws(GuestChannelError) {
        let headerText = Data(header).base64EncodedString()
        let secretText = Data(payload).base64EncodedString()
        try await call { () throws(LibvirtError) in
            try await connection.setLaunchSecret(domain: domain, header: headerText, secret: secretText, address: guestPhysicalAddress)
        }
    }

    public func isRunning() async throws(GuestChannelError) -> Bool {
        try await call { () throws(LibvirtError) in try await connection.state(domain: domain) } == .running
    }

    public func resume() async throws(GuestChannelError) {
        try await call { () throws(LibvirtError) in try await connection.resume(domain: domain) }
    }

    /// `virDomainDestroy`: libvirt ends the emulator (it has no `quit` of its own).
    public func quit(timeout: Duration?) async throws(GuestChannelError) {
        try await call { () throws(LibvirtError) in try await connection.destroy(domain: domain) }
    }

    public func close() async {
        finishEvents()
        if ownsConnection { await connection.close() }
    }

    private func call<T>(_ body: () async throws(LibvirtError) -> T) async throws(GuestChannelError) -> T {
        do {
            return try await body()
        } catch {
            throw Self.failure(error)
        }
    }

    static func failure(_ error: LibvirtError) -> GuestChannelError {
        GuestChannelError(transport: "libvirt", message: error.message, isCommandRefusal: !error.isTransportFailure)
    }
}
