import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An async client for sevhostd's HTTP/JSON API on its Unix socket (see docs/openapi.yaml).
///
/// One method per `DaemonRoute`, each returning the contract type the daemon encodes. Every
/// wait has a deadline: connecting and each answer within `timeout`, and the requests that ask
/// the daemon to wait (start and stop with `wait`, event long polls) get the daemon's own
/// limit on top, so a client never gives up on an answer the daemon is still allowed to
/// give, nor hangs on one that will never come. Responses are capped at
/// `maximumResponseSize` bytes.
///
/// Each request uses its own connection: the value holds no connection state, is `Sendable`,
/// and can be shared between tasks freely.
public struct DaemonClient: Sendable {
    /// Where sevhostd listens unless told otherwise.
    public static let defaultSocketPath = "/run/sevhost/sevhostd.sock"
    /// The environment variable naming another socket.
    public static let socketEnvironmentVariable = "SEVHOST_DAEMON"
    public static let defaultTimeout: Duration = .seconds(30)
    /// Large enough for 10000 log lines and the largest bundle; small enough that a peer that
    /// is not sevhostd cannot grow the client without end.
    public static let defaultMaximumResponseSize = 16 << 20
    /// The longest the daemon holds `start?wait=true` (QEMU started, measurement read).
    public static let startWaitLimit: Duration = .seconds(120)
    /// The longest the daemon may take for `stop?wait=true`: QMP `quit`, then SIGTERM and
    /// SIGKILL after its stop timeout (30 s by default) each.
    public static let stopWaitLimit: Duration = .seconds(120)
    /// The longest `wait` an event poll may ask for, in seconds.
    public static let maximumEventWait = 60

    public var socketPath: String
    /// For connecting and for each answer.
    public var timeout: Duration
    public var maximumResponseSize: Int
    public var eventLoopGroup: any EventLoopGroup

    public init(
        socketPath: String = DaemonClient.defaultSocketPath,
        timeout: Duration = DaemonClient.defaultTimeout,
        maximumResponseSize: Int = DaemonClient.defaultMaximumResponseSize,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.maximumResponseSize = maximumResponseSize
        self.eventLoopGroup = eventLoopGroup
    }

    /// The socket to use: `$SEVHOST_DAEMON` when set and not empty, else the default.
    public static func socketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment[socketEnvironmentVariable], !path.isEmpty { return path }
        return defaultSocketPath
    }

    // MARK: Routes

    /// `GET /v1/health`.
    public func health() async throws(DaemonClientError) -> HealthInfo {
        try await call(.health, decoding: HealthInfo.self)
    }

    /// `GET /v1/vms`: every VM, sorted by name.
    public func listVMs() async throws(DaemonClientError) -> VMList {
        try await call(.listVMs, decoding: VMList.self)
    }

    /// `POST /v1/vms`: defines a VM from a spec; it is `defined`, not started.
    public func createVM(_ request: CreateVMRequest) async throws(DaemonClientError) -> VMInfo {
        try await call(.createVM, body: try encode(request, for: .createVM), decoding: VMInfo.self)
    }

    /// `GET /v1/vms/{name}`.
    public func showVM(_ name: String) async throws(DaemonClientError) -> VMInfo {
        try await call(.showVM, name: name, decoding: VMInfo.self)
    }

    /// `DELETE /v1/vms/{name}`: forgets the VM; with `force`, kills its QEMU first.
    public func destroyVM(_ name: String, force: Bool = false) async throws(DaemonClientError) {
        let response = try await send(.destroyVM, name: name, query: force ? [("force", "true")] : [])
        try Self.check(response, request: label(.destroyVM, name))
    }

    /// `POST /v1/vms/{name}/start`: with `wait`, answers once the VM has left `starting`
    /// (awaiting-secret, running or failed).
    public func startVM(_ name: String, wait: Bool = false) async throws(DaemonClientError) -> VMInfo {
        try await call(
            .startVM, name: name, query: wait ? [("wait", "true")] : [],
            deadline: wait ? timeout + Self.startWaitLimit : timeout, decoding: VMInfo.self)
    }

    /// `POST /v1/vms/{name}/stop`: QMP `quit` escalating to signals, or SIGKILL at once with
    /// `force`; with `wait`, answers once the VM is stopped.
    public func stopVM(_ name: String, force: Bool = false, wait: Bool = false) async throws(DaemonClientError) -> VMInfo {
        var query: [(String, String)] = []
        if force { query.append(("force", "true")) }
        if wait { query.append(("wait", "true")) }
        return try await call(
            .stopVM, name: name, query: query,
            deadline: wait ? timeout + Self.stopWaitLimit : timeout, decoding: VMInfo.self)
    }

    /// `GET /v1/vms/{name}/measurement`: the current launch's attestation bundle, as
    /// `sevhost attest export` writes it.
    public func measurement(_ name: String) async throws(DaemonClientError) -> AttestationBundle {
        let bundle = try await call(.measurement, name: name, decoding: AttestationBundle.self)
        guard bundle.format == AttestationBundle.formatName else {
            throw .malformedResponse(
                request: label(.measurement, name),
                problem: "bundle format '\(bundle.format)', expected '\(AttestationBundle.formatName)'")
        }
        return bundle
    }

    /// `GET /v1/vms/{name}/expect`: what an SEV-SNP VM's attestation reports must show.
    public func expect(_ name: String) async throws(DaemonClientError) -> VMExpectation {
        let expectation = try await call(.expect, name: name, decoding: VMExpectation.self)
        guard expectation.format == VMExpectation.formatName else {
            throw .malformedResponse(
                request: label(.expect, name),
                problem: "format '\(expectation.format)', expected '\(VMExpectation.formatName)'")
        }
        return expectation
    }

    /// `POST /v1/vms/{name}/inject`: the guest owner's secret; the VM runs afterwards.
    public func inject(_ name: String, _ request: InjectRequest) async throws(DaemonClientError) -> VMInfo {
        try await call(.inject, name: name, body: try encode(request, for: .inject), decoding: VMInfo.self)
    }

    /// `GET /v1/vms/{name}/events`: the VM's events after `after`, oldest first; with `wait`
    /// (seconds, at most 60) the daemon holds the request until there is one.
    public func events(of name: String, after: Int64 = 0, wait: Int? = nil) async throws(DaemonClientError) -> VMEventList {
        try await call(
            .vmEvents, name: name, query: eventQuery(after: after, wait: wait),
            deadline: timeout + .seconds(wait ?? 0), decoding: VMEventList.self)
    }

    /// `GET /v1/events`: the same over every VM.
    public func events(after: Int64 = 0, wait: Int? = nil) async throws(DaemonClientError) -> VMEventList {
        try await call(
            .events, query: eventQuery(after: after, wait: wait),
            deadline: timeout + .seconds(wait ?? 0), decoding: VMEventList.self)
    }

    /// `GET /v1/vms/{name}/logs`: the last `lines` lines of QEMU's output (daemon default 100).
    public func logs(_ name: String, lines: Int? = nil) async throws(DaemonClientError) -> String {
        let response = try await send(.logs, name: name, query: lines.map { [("lines", String($0))] } ?? [])
        try Self.check(response, request: label(.logs, name))
        return String(decoding: response.body, as: UTF8.self)
    }

    /// `GET /metrics`: the Prometheus text exposition.
    public func metrics() async throws(DaemonClientError) -> String {
        let response = try await send(.metrics)
        try Self.check(response, request: label(.metrics, nil))
        return String(decoding: response.body, as: UTF8.self)
    }

    // MARK: Transport

    /// Sends one request on `route` and returns the response whatever its status: the layer
    /// under the typed methods, for callers that want the raw answer.
    public func send(
        _ route: DaemonRoute, name: String? = nil, query: [(String, String)] = [], body: [UInt8]? = nil,
        deadline: Duration? = nil
    ) async throws(DaemonClientError) -> DaemonHTTPResponse {
        var target = route.path(name: name.map(Self.escape))
        if !query.isEmpty {
            target += "?" + query.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        let request = DaemonHTTPRequest(method: HTTPMethod(rawValue: route.method), target: target, body: body)
        return try await UnixHTTPConnection.exchange(
            request, path: socketPath, connectTimeout: timeout, responseTimeout: deadline ?? timeout,
            maximumResponseSize: maximumResponseSize, eventLoopGroup: eventLoopGroup)
    }

    private func call<Value: Decodable>(
        _ route: DaemonRoute, name: String? = nil, query: [(String, String)] = [], body: [UInt8]? = nil,
        deadline: Duration? = nil, decoding type: Value.Type
    ) async throws(DaemonClientError) -> Value {
        let response = try await send(route, name: name, query: query, body: body, deadline: deadline)
        let request = label(route, name)
        try Self.check(response, request: request)
        do {
            return try JSONDecoder().decode(Value.self, from: Data(response.body))
        } catch {
            throw .malformedResponse(
                request: request, problem: "expected \(Value.self) JSON: \(Self.describe(error, body: response.body))")
        }
    }

    private func eventQuery(after: Int64, wait: Int?) -> [(String, String)] {
        var query: [(String, String)] = []
        if after != 0 { query.append(("after", String(after))) }
        if let wait { query.append(("wait", String(wait))) }
        return query
    }

    private func encode<Value: Encodable>(_ value: Value, for route: DaemonRoute) throws(DaemonClientError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // The request types hold strings and integers only; this cannot happen.
            throw .malformedResponse(request: route.rawValue, problem: "cannot encode the request: \(error)")
        }
    }

    private func label(_ route: DaemonRoute, _ name: String?) -> String {
        "\(route.method) \(route.path(name: name.map(Self.escape)))"
    }

    /// Passes a 2xx response; turns anything else into the daemon's error, or into a
    /// malformed-response error naming the status when the body is not an error body.
    static func check(_ response: DaemonHTTPResponse, request: String) throws(DaemonClientError) {
        guard !response.isSuccess else { return }
        if let body = try? JSONDecoder().decode(DaemonErrorBody.self, from: Data(response.body)) {
            throw .api(status: response.status, code: body.error.code, message: body.error.message)
        }
        let status = "HTTP \(response.status)" + (response.reason.isEmpty ? "" : " \(response.reason)")
        throw .malformedResponse(request: request, problem: "\(status) without a sevhostd error body: \(excerpt(response.body))")
    }

    /// The start of a body as one printable line, for messages about bodies that are not
    /// what they should be.
    static func excerpt(_ body: [UInt8], limit: Int = 120) -> String {
        if body.isEmpty { return "(empty body)" }
        var text = ""
        for byte in body.prefix(limit) {
            switch byte {
            case 0x20..<0x7f where byte != UInt8(ascii: "\\"): text.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x0a: text += "\\n"
            case 0x0d: text += "\\r"
            case 0x09: text += "\\t"
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return "'\(text)'" + (body.count > limit ? " (\(body.count) bytes)" : "")
    }

    /// A decoding failure in one line: which field, what was wrong.
    static func describe(_ error: any Error, body: [UInt8]) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "'\(path(context.codingPath))': \(context.debugDescription)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not JSON: \(excerpt(body))" }
            return "'\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Names are letters, digits, '.', '_' and '-'; anything else is percent-escaped so that
    /// a bad name reaches the daemon as a bad name rather than as another path.
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
