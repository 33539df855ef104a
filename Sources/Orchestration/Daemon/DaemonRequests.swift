/// `POST /v1/vms`: the VM spec as text (YAML or JSON, the schema of sevhost-spec(5)).
/// File paths in it are used by the daemon as they are, so the CLI makes them absolute.
public struct CreateVMRequest: Codable, Sendable, Equatable {
    public var spec: String
    /// Names the spec in error messages (the CLI sends the file it read).
    public var file: String?

    public init(spec: String, file: String? = nil) {
        self.spec = spec
        self.file = file
    }
}

/// `POST /v1/vms/{name}/inject`: the guest owner's LAUNCH_SECRET packet, as `sevhost secret
/// build` prints it. The daemon hands it to QEMU (`sev-inject-launch-secret`), continues the
/// guest, and forgets it: it is never stored or logged.
public struct InjectRequest: Codable, Sendable, Equatable {
    /// The packet header, base64.
    public var header: String
    /// The encrypted secret, base64.
    public var payload: String
    /// The measurement ‖ MNONCE (base64) the answer was built for; when given, the daemon
    /// refuses if the guest's launch is not that one.
    public var measurement: String?
    /// Guest physical address for the secret; default: the firmware's secret area.
    public var gpa: UInt64?

    public init(header: String, payload: String, measurement: String? = nil, gpa: UInt64? = nil) {
        self.header = header
        self.payload = payload
        self.measurement = measurement
        self.gpa = gpa
    }
}

/// The body of every error response: `{"error": {"code": ..., "message": ...}}`.
public struct DaemonErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// Stable, machine-readable: `not-found`, `exists`, `invalid-spec`, `invalid-request`,
        /// `wrong-state`, `refused`, `qemu`, `forbidden`, `internal`.
        public var code: String
        /// One line for a person.
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
