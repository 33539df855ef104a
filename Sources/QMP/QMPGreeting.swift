/// The banner a QMP server sends as soon as a client connects.
public struct QMPGreeting: Sendable, Hashable {
    /// QEMU's version triple (`{"qemu": {"major", "minor", "micro"}}`).
    public var major: Int
    public var minor: Int
    public var micro: Int
    /// The distribution's package string, e.g. `Debian 1:10.0.2+ds-2...`; may be empty.
    public var package: String
    /// Capabilities the server offers (`oob`); sevhost enables none of them.
    public var capabilities: [String]

    public init(major: Int, minor: Int, micro: Int, package: String, capabilities: [String]) {
        self.major = major
        self.minor = minor
        self.micro = micro
        self.package = package
        self.capabilities = capabilities
    }

    /// "10.0.2", as `qemu-system-x86_64 --version` prints it.
    public var version: String { "\(major).\(minor).\(micro)" }

    /// Whether the server is at least `major.minor` (query-sev's shape changed in 9.1).
    public func isAtLeast(_ major: Int, _ minor: Int) -> Bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// Reads `{"QMP": {"version": {"qemu": {...}, "package": ...}, "capabilities": [...]}}`.
    init(message: QMPValue, raw: some Collection<UInt8>) throws(QMPError) {
        guard let banner = message["QMP"]?.objectValue,
            let version = banner["version"]?.objectValue,
            let qemu = version["qemu"]?.objectValue,
            let major = qemu["major"]?.int64Value, let minor = qemu["minor"]?.int64Value,
            let micro = qemu["micro"]?.int64Value
        else {
            throw QMPError.malformedGreeting(QMPValue.excerpt(raw))
        }
        let capabilities = banner["capabilities"].flatMap { value -> [String]? in
            guard case .array(let items) = value else { return nil }
            return items.compactMap(\.stringValue)
        }
        self.init(
            major: Int(major), minor: Int(minor), micro: Int(micro),
            package: version["package"]?.stringValue ?? "",
            capabilities: capabilities ?? [])
    }
}
