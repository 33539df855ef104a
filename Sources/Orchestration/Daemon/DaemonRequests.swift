import Foundation
import SEVKit

/// `POST /v1/vms`: the VM spec as text (YAML or JSON, the schema of sevhost-spec(5)).
/// File paths in it are used by the daemon as they are, so the CLI makes them absolute.
public struct CreateVMRequest: Codable, Sendable, Equatable {
    public var spec: String
    /// Names the spec in error messages (the CLI sends the file it read).
    public var file: String?
    /// With libvirt hosts (`sevhostd --connect`): the host to run on, by its URI as sevhostd
    /// was given it or the host name its libvirt reports; absent, sevhostd picks the first
    /// host whose capabilities fit the spec.
    public var host: String?

    public init(spec: String, file: String? = nil, host: String? = nil) {
        self.spec = spec
        self.file = file
        self.host = host
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

    /// The packet as bytes, checked: a 52-byte header, a payload no larger than the largest
    /// secret table (16 KiB), a 48-byte measurement ‖ MNONCE when one is given. The problem
    /// names the field, never its bytes.
    public func packet() throws(InvalidField) -> (header: [UInt8], payload: [UInt8], measurement: [UInt8]?) {
        guard let header = Data(base64Encoded: header).map(Array.init) else { throw InvalidField("header: not base64") }
        guard header.count == LaunchSecretPacket.headerSize else {
            throw InvalidField("header: expected \(LaunchSecretPacket.headerSize) bytes, found \(header.count)")
        }
        guard let payload = Data(base64Encoded: payload).map(Array.init), !payload.isEmpty else {
            throw InvalidField("payload: not base64, or empty")
        }
        guard payload.count <= SecretTable.maximumSize else {
            throw InvalidField("payload: \(payload.count) bytes, more than the \(SecretTable.maximumSize) of the largest secret table")
        }
        var measured: [UInt8]?
        if let measurement {
            guard let bytes = Data(base64Encoded: measurement).map(Array.init), bytes.count == LaunchMeasurement.size else {
                throw InvalidField("measurement: expected \(LaunchMeasurement.size) bytes of base64 (measurement ‖ MNONCE)")
            }
            measured = bytes
        }
        return (header, payload, measured)
    }

    /// A field of the request that is not what the API documents.
    public struct InvalidField: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
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
