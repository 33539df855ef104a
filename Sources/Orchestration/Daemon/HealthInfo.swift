/// `GET /v1/health`: the daemon answers, and says what it is.
public struct HealthInfo: Codable, Sendable, Equatable {
    /// Always `ok` when the daemon answers at all.
    public var status: String
    public var version: String
    /// How many VMs the daemon keeps, and how many of them have a QEMU process.
    public var vms: Int
    public var active: Int

    public init(status: String, version: String, vms: Int, active: Int) {
        self.status = status
        self.version = version
        self.vms = vms
        self.active = active
    }
}
