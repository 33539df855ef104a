/// One lifecycle event of a domain (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`): what happened, and
/// libvirt's detail of why, so a watcher tells a guest that powered off from an emulator
/// destroyed by an operator or one that crashed.
public struct DomainLifecycleEvent: Sendable, Hashable {
    /// `virDomainEventType`.
    public enum Kind: Int32, Sendable, Hashable {
        case defined = 0, undefined, started, suspended, resumed, stopped, shutdown, pmSuspended, crashed

        /// libvirt's word for it, as `virsh event --event lifecycle` prints it (lower case).
        public var name: String {
            switch self {
            case .defined: "defined"
            case .undefined: "undefined"
            case .started: "started"
            case .suspended: "suspended"
            case .resumed: "resumed"
            case .stopped: "stopped"
            case .shutdown: "shutdown"
            case .pmSuspended: "pmsuspended"
            case .crashed: "crashed"
            }
        }
    }

    public var domain: String
    /// The domain's UUID, lower-case text.
    public var uuid: String
    public var kind: Kind
    /// The detail as libvirt numbers it (its meaning depends on `kind`).
    public var detail: Int32

    public init(domain: String, uuid: String, kind: Kind, detail: Int32) {
        self.domain = domain
        self.uuid = uuid
        self.kind = kind
        self.detail = detail
    }

    /// The detail in libvirt's words (`destroyed`, `shutdown`, `crashed`, `paused`…), or its
    /// number for one this table does not name.
    public var detailName: String {
        let names: [String]
        switch kind {
        case .started: names = ["booted", "migrated", "restored", "from-snapshot", "wakeup"]
        case .suspended: names = ["paused", "migrated", "ioerror", "watchdog", "restored", "from-snapshot", "api-error", "postcopy", "postcopy-failed"]
        case .resumed: names = ["unpaused", "migrated", "from-snapshot", "postcopy", "postcopy-failed"]
        case .stopped: names = ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot"]
        case .shutdown: names = ["finished", "guest", "host"]
        case .crashed: names = ["panicked", "crashloaded"]
        case .defined: names = ["added", "updated", "renamed", "from-snapshot"]
        case .undefined: names = ["removed", "renamed"]
        case .pmSuspended: names = ["memory", "disk"]
        }
        return names.indices.contains(Int(detail)) ? names[Int(detail)] : String(detail)
    }
}
