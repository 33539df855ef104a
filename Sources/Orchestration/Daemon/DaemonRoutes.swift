import Foundation

/// Every route of sevhostd's API, in one table: the server registers exactly these, the
/// client calls only these, and a test checks `docs/openapi.yaml` describes exactly these.
public enum DaemonRoute: String, CaseIterable, Sendable {
    case health = "GET /v1/health"
    case listVMs = "GET /v1/vms"
    case createVM = "POST /v1/vms"
    case showVM = "GET /v1/vms/{name}"
    case destroyVM = "DELETE /v1/vms/{name}"
    case startVM = "POST /v1/vms/{name}/start"
    case stopVM = "POST /v1/vms/{name}/stop"
    case measurement = "GET /v1/vms/{name}/measurement"
    case expect = "GET /v1/vms/{name}/expect"
    case inject = "POST /v1/vms/{name}/inject"
    case vmEvents = "GET /v1/vms/{name}/events"
    case logs = "GET /v1/vms/{name}/logs"
    case events = "GET /v1/events"
    case metrics = "GET /metrics"

    public var method: String { String(rawValue.split(separator: " ")[0]) }
    public var pathTemplate: String { String(rawValue.split(separator: " ")[1]) }

    /// The path with `{name}` filled in (names are letters, digits, '.', '_' and '-', so they
    /// need no escaping).
    public func path(name: String? = nil) -> String {
        guard let name else { return pathTemplate }
        return pathTemplate.replacingOccurrences(of: "{name}", with: name)
    }
}
