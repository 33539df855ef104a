import CLibvirt
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// One connection to a libvirt daemon (`qemu:///system`, `qemu+ssh://host/system`,
/// `qemu+tcp://…`), with `async` calls.
///
/// libvirt's C calls block (a remote URI is a round trip over the network) and report their
/// errors per thread, so every call runs on this connection's own serial queue and reads the
/// error on the thread that made it; callers on Swift concurrency's pool never block. Nothing of
/// libvirt's C types leaves this target: domains are named by their name, answers are Swift
/// values.
public final class LibvirtConnection: @unchecked Sendable {
    /// The URI as given.
    public let uri: String
    private let connection: OpaquePointer
    private let queue: DispatchQueue
    private var closed = false
    /// Lifecycle event registrations still open (`virConnectDomainEventRegisterAny` ids),
    /// deregistered before the connection closes. Touched only on `queue`.
    private var eventCallbacks: Set<Int32> = []

    private init(uri: String, connection: OpaquePointer, queue: DispatchQueue) {
        self.uri = uri
        self.connection = connection
        self.queue = queue
    }

    deinit {
        if !closed { virConnectClose(connection) }
    }

    /// Opens `uri` read-write, with no interactive authentication (a URI needing a password
    /// fails with libvirt's error rather than prompting). With `events`, libvirt's event loop
    /// runs first (`LibvirtEventLoop`), so `lifecycleEvents` delivers: libvirt attaches a
    /// connection to the loop only when one exists as it opens.
    public static func open(uri: String, events: Bool = false) async throws(LibvirtError) -> LibvirtConnection {
        silenceDefaultErrorPrinting
        if events, !LibvirtEventLoop.running {
            throw LibvirtError(code: -1, domain: 0, message: "cannot register libvirt's default event loop")
        }
        let queue = DispatchQueue(label: "sevhost.libvirt")
        let result: Result<LibvirtConnection, LibvirtError> = await withCheckedContinuation { continuation in
            queue.async {
                guard let pointer = virConnectOpen(uri) else {
                    continuation.resume(returning: .failure(.last("cannot connect to \(uri)")))
                    return
                }
                continuation.resume(returning: .success(LibvirtConnection(uri: uri, connection: pointer, queue: queue)))
            }
        }
        return try result.get()
    }

    /// Closes the connection; later calls fail. Idempotent.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if !self.closed {
                    self.closed = true
                    for id in self.eventCallbacks { virConnectDomainEventDeregisterAny(self.connection, id) }
                    self.eventCallbacks = []
                    virConnectClose(self.connection)
                }
                continuation.resume()
            }
        }
    }

    /// Runs `body` with the C connection on this connection's queue.
    func perform<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws(LibvirtError) -> T) async throws(LibvirtError) -> T {
        let result: Result<T, LibvirtError> = await withCheckedContinuation { continuation in
            queue.async {
                guard !self.closed else {
                    continuation.resume(returning: .failure(LibvirtError(code: -1, domain: 0, message: "the connection to \(self.uri) is closed")))
                    return
                }
                continuation.resume(returning: Result { () throws(LibvirtError) -> T in try body(self.connection) })
            }
        }
        return try result.get()
    }

    /// Runs `body` with the named domain, looked up and released around it.
    func withDomain<T: Sendable>(_ name: String, _ body: @escaping @Sendable (OpaquePointer) throws(LibvirtError) -> T) async throws(LibvirtError) -> T {
        try await perform { (connection) throws(LibvirtError) -> T in
            guard let domain = virDomainLookupByName(connection, name) else {
                throw LibvirtError.last("no domain \(name)")
            }
            defer { virDomainFree(domain) }
            return try body(domain)
        }
    }

    /// libvirt prints every error to stderr unless given a handler; sevhost reports them
    /// itself, once, through `LibvirtError`. Set once per process.
    private static let silenceDefaultErrorPrinting: Void = {
        virSetErrorFunc(nil) { _, _ in }
    }()

    // MARK: - The host

    /// The host's name as libvirt reports it (`virConnectGetHostname`).
    public func hostname() async throws(LibvirtError) -> String {
        try await perform { (connection) throws(LibvirtError) -> String in
            guard let name = virConnectGetHostname(connection) else { throw LibvirtError.last("cannot read the host name") }
            defer { free(name) }
            return String(cString: name)
        }
    }

    /// The daemon's libvirt release (`virConnectGetLibVersion`), as `major.minor.micro`.
    public func libraryVersion() async throws(LibvirtError) -> String {
        try await perform { (connection) throws(LibvirtError) -> String in
            var version: UInt = 0
            guard virConnectGetLibVersion(connection, &version) == 0 else { throw LibvirtError.last("cannot read libvirt's version") }
            return "\(version / 1_000_000).\(version / 1000 % 1000).\(version % 1000)"
        }
    }

    /// `virNodeGetSEVInfo`: the platform's SEV facts as libvirt learnt them from QEMU.
    public func sevInfo() async throws(LibvirtError) -> NodeSEVInfo {
        try await perform { (connection) throws(LibvirtError) -> NodeSEVInfo in
            var pointer: virTypedParameterPtr?
            var count: Int32 = 0
            guard virNodeGetSEVInfo(connection, &pointer, &count, 0) == 0 else { throw LibvirtError.last("cannot read the host's SEV facts") }
            return NodeSEVInfo(TypedParameters(taking: pointer, count: count))
        }
    }

    /// `virConnectGetDomainCapabilities` for the host's default emulator of `arch` and
    /// `virtType`: libvirt's XML.
    public func domainCapabilities(arch: String = "x86_64", virtType: String = "kvm") async throws(LibvirtError) -> String {
        try await perform { (connection) throws(LibvirtError) -> String in
            guard let xml = virConnectGetDomainCapabilities(connection, nil, arch, nil, virtType, 0) else {
                throw LibvirtError.last("cannot read the domain capabilities")
            }
            defer { free(xml) }
            return String(cString: xml)
        }
    }

    // MARK: - Domains

    /// Every domain, active or defined, with its state.
    public func domains() async throws(LibvirtError) -> [DomainSummary] {
        try await perform { (connection) throws(LibvirtError) -> [DomainSummary] in
            var list: UnsafeMutablePointer<virDomainPtr?>?
            let count = virConnectListAllDomains(connection, &list, 0)
            guard count >= 0, let list else { throw LibvirtError.last("cannot list the domains") }
            defer { free(list) }
            var summaries: [DomainSummary] = []
            for index in 0..<Int(count) {
                guard let domain = list[index] else { continue }
                defer { virDomainFree(domain) }
                let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
                summaries.append(DomainSummary(name: name, uuid: Self.uuid(of: domain), state: (try? Self.state(of: domain)) ?? .noState))
            }
            return summaries.sorted { $0.name < $1.name }
        }
    }

    /// Defines (persistently) the domain `xml` describes; returns its name.
    @discardableResult
    public func define(xml: String) async throws(LibvirtError) -> String {
        try await perform { (connection) throws(LibvirtError) -> String in
            guard let domain = virDomainDefineXML(connection, xml) else { throw LibvirtError.last("libvirt refused the domain") }
            defer { virDomainFree(domain) }
            return virDomainGetName(domain).map { String(cString: $0) } ?? ""
        }
    }

    /// Starts a defined domain, with its vCPUs paused when `paused`.
    public func start(domain name: String, paused: Bool) async throws(LibvirtError) {
        try await withDomain(name) { (domain) throws(LibvirtError) in
            let flags = paused ? UInt32(VIR_DOMAIN_START_PAUSED.rawValue) : 0
            guard virDomainCreateWithFlags(domain, flags) == 0 else { throw LibvirtError.last("cannot start \(name)") }
        }
    }

    /// Creates and starts a transient domain from `xml`; returns its name.
    @discardableResult
    public func create(xml: String, paused: Bool) async throws(LibvirtError) -> String {
        try await perform { (connection) throws(LibvirtError) -> String in
            let flags = paused ? UInt32(VIR_DOMAIN_START_PAUSED.rawValue) : 0
            guard let domain = virDomainCreateXML(connection, xml, flags) else { throw LibvirtError.last("libvirt refused the domain") }
            defer { virDomainFree(domain) }
            return virDomainGetName(domain).map { String(cString: $0) } ?? ""
        }
    }

    /// The domain's state (`virDomainGetState`).
    public func state(domain name: String) async throws(LibvirtError) -> DomainState {
        try await withDomain(name) { (domain) throws(LibvirtError) -> DomainState in try Self.state(of: domain) }
    }

    /// Fails unless the domain exists (`virDomainLookupByName` alone: one round trip).
    public func lookUp(domain name: String) async throws(LibvirtError) {
        try await withDomain(name) { _ in }
    }

    /// The domain's state and, when it is active, its `virDomainGetLaunchSecurityInfo`, read
    /// with one lookup on one trip to this connection's queue: what a pre-attestation checks,
    /// taken together.
    public func launchSecurity(domain name: String) async throws(LibvirtError) -> (state: DomainState, info: LaunchSecurityInfo?) {
        try await withDomain(name) { (domain) throws(LibvirtError) -> (state: DomainState, info: LaunchSecurityInfo?) in
            let state = try Self.state(of: domain)
            guard state.isActive else { return (state, nil) }
            return (state, try Self.launchSecurityInfo(of: domain, name: name))
        }
    }

    /// The domain's XML as libvirt keeps it (`virDomainGetXMLDesc`).
    public func xml(domain name: String) async throws(LibvirtError) -> String {
        try await withDomain(name) { (domain) throws(LibvirtError) -> String in
            guard let xml = virDomainGetXMLDesc(domain, 0) else { throw LibvirtError.last("cannot read \(name)'s XML") }
            defer { free(xml) }
            return String(cString: xml)
        }
    }

    /// `virDomainGetLaunchSecurityInfo`: measurement and firmware facts of a running SEV guest.
    public func launchSecurityInfo(domain name: String) async throws(LibvirtError) -> LaunchSecurityInfo {
        try await withDomain(name) { (domain) throws(LibvirtError) -> LaunchSecurityInfo in try Self.launchSecurityInfo(of: domain, name: name) }
    }

    static func launchSecurityInfo(of domain: OpaquePointer, name: String) throws(LibvirtError) -> LaunchSecurityInfo {
        var pointer: virTypedParameterPtr?
        var count: Int32 = 0
        guard virDomainGetLaunchSecurityInfo(domain, &pointer, &count, 0) == 0 else {
            throw LibvirtError.last("cannot read \(name)'s launch security information")
        }
        return LaunchSecurityInfo(TypedParameters(taking: pointer, count: count))
    }

    /// `virDomainSetLaunchSecurityState`: LAUNCH_SECRET with a packet header and encrypted
    /// secret (both base64, as libvirt takes them), at `address` or the firmware's secret area.
    public func setLaunchSecret(domain name: String, header: String, secret: String, address: UInt64?) async throws(LibvirtError) {
        try await withDomain(name) { (domain) throws(LibvirtError) in
            var parameters = TypedParameters()
            try parameters.add("sev-secret-header", string: header)
            try parameters.add("sev-secret", string: secret)
            if let address { try parameters.add("sev-secret-set-address", ulonglong: address) }
            guard virDomainSetLaunchSecurityState(domain, parameters.pointer, parameters.count, 0) == 0 else {
                throw LibvirtError.last("cannot inject \(name)'s launch secret")
            }
        }
    }

    /// Lets a paused domain run (`virDomainResume`).
    public func resume(domain name: String) async throws(LibvirtError) {
        try await withDomain(name) { (domain) throws(LibvirtError) in
            guard virDomainResume(domain) == 0 else { throw LibvirtError.last("cannot resume \(name)") }
        }
    }

    /// Ends the domain's emulator at once (`virDomainDestroy`).
    public func destroy(domain name: String) async throws(LibvirtError) {
        try await withDomain(name) { (domain) throws(LibvirtError) in
            guard virDomainDestroy(domain) == 0 else { throw LibvirtError.last("cannot destroy \(name)") }
        }
    }

    /// Removes a defined domain's configuration (`virDomainUndefine`).
    public func undefine(domain name: String) async throws(LibvirtError) {
        try await withDomain(name) { (domain) throws(LibvirtError) in
            // The NVRAM file libvirt made for a pflash loader goes with the definition.
            guard virDomainUndefineFlags(domain, UInt32(VIR_DOMAIN_UNDEFINE_NVRAM.rawValue)) == 0 else {
                throw LibvirtError.last("cannot undefine \(name)")
            }
        }
    }

    /// The domain's UUID as text (`virDomainGetUUIDString`); empty if libvirt cannot say.
    public func uuid(domain name: String) async throws(LibvirtError) -> String {
        try await withDomain(name) { domain in Self.uuid(of: domain) }
    }

    static func uuid(of domain: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(domain, &buffer) == 0 else { return "" }
        return String(cString: buffer)
    }

    // MARK: - Events

    /// The lifecycle events of every domain of the connection (started, suspended, resumed,
    /// stopped…), in the order libvirt sends them, until the stream's consumer stops or the
    /// connection closes. The connection must have been opened with `events`.
    public func lifecycleEvents() async throws(LibvirtError) -> AsyncStream<DomainLifecycleEvent> {
        let (stream, continuation) = AsyncStream<DomainLifecycleEvent>.makeStream()
        let sink = LifecycleEventSink(continuation)
        let id = try await perform { (connection) throws(LibvirtError) -> Int32 in
            let box = Unmanaged.passRetained(sink).toOpaque()
            let id = sevhost_register_lifecycle_events(
                connection, nil,
                { _, domain, event, detail, opaque in
                    guard let domain, let opaque, let kind = DomainLifecycleEvent.Kind(rawValue: event) else { return 0 }
                    let sink = Unmanaged<LifecycleEventSink>.fromOpaque(opaque).takeUnretainedValue()
                    let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
                    sink.continuation.yield(DomainLifecycleEvent(domain: name, uuid: LibvirtConnection.uuid(of: domain), kind: kind, detail: detail))
                    return 0
                },
                box,
                { opaque in
                    guard let opaque else { return }
                    let sink = Unmanaged<LifecycleEventSink>.fromOpaque(opaque).takeRetainedValue()
                    sink.continuation.finish()
                })
            guard id >= 0 else {
                Unmanaged<LifecycleEventSink>.fromOpaque(box).release()
                throw LibvirtError.last("cannot register for \(self.uri)'s domain events")
            }
            self.eventCallbacks.insert(id)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.queue.async {
                guard !self.closed, self.eventCallbacks.remove(id) != nil else { return }
                virConnectDomainEventDeregisterAny(self.connection, id)
            }
        }
        return stream
    }

    static func state(of domain: OpaquePointer) throws(LibvirtError) -> DomainState {
        var state: Int32 = 0
        var reason: Int32 = 0
        guard virDomainGetState(domain, &state, &reason, 0) == 0 else { throw LibvirtError.last("cannot read the domain's state") }
        return DomainState(rawValue: state) ?? .noState
    }
}

/// Where libvirt's event thread hands one registration's events: retained by libvirt (its
/// `opaque`) until it calls the release callback, which ends the stream.
private final class LifecycleEventSink: @unchecked Sendable {
    let continuation: AsyncStream<DomainLifecycleEvent>.Continuation

    init(_ continuation: AsyncStream<DomainLifecycleEvent>.Continuation) {
        self.continuation = continuation
    }
}
