/// A VM as the daemon's API shows it (`GET /v1/vms/{name}`).
public struct VMInfo: Codable, Sendable, Equatable {
    public var name: String
    public var state: VMState
    /// Why the VM is `failed` (or why it stopped), in one or more lines; nil otherwise.
    public var reason: String?
    /// `sev`, `sev-es` or `sev-snp`.
    public var type: String
    /// The launch policy, 0x-prefixed hex.
    public var policy: String
    public var preAttestation: Bool
    /// QEMU's process id while it has one.
    public var pid: Int32?
    /// The QMP socket the daemon gave QEMU; empty for a libvirt domain (libvirt holds its monitor).
    public var qmp: String
    /// Whether a launch measurement was read for the current launch.
    public var measured: Bool
    /// RFC 3339 UTC times.
    public var created: String
    public var updated: String
    /// The libvirt URI of the host whose domain (named as the VM) runs it; absent for a VM
    /// sevhostd runs as its own QEMU child.
    public var host: String?

    public init(
        name: String, state: VMState, reason: String?, type: String, policy: String, preAttestation: Bool,
        pid: Int32?, qmp: String, measured: Bool, created: String, updated: String, host: String? = nil
    ) {
        self.name = name
        self.state = state
        self.reason = reason
        self.type = type
        self.policy = policy
        self.preAttestation = preAttestation
        self.pid = pid
        self.qmp = qmp
        self.measured = measured
        self.created = created
        self.updated = updated
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case name, state, reason, type, policy, pid, qmp, measured, created, updated, host
        case preAttestation = "pre-attestation"
    }
}

/// `GET /v1/vms`.
public struct VMList: Codable, Sendable, Equatable {
    public var vms: [VMInfo]

    public init(vms: [VMInfo]) {
        self.vms = vms
    }
}
