import NIOHTTP1

/// One request to sevhostd, as the transport sends it.
public struct DaemonHTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// Path and query, e.g. `/v1/vms/web/stop?force=true`.
    public var target: String
    /// A JSON body, sent with `Content-Type: application/json`.
    public var body: [UInt8]?

    public init(method: HTTPMethod, target: String, body: [UInt8]? = nil) {
        self.method = method
        self.target = target
        self.body = body
    }

    /// `METHOD PATH` (without the query), naming the request in errors.
    public var label: String {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        return "\(method.rawValue) \(path)"
    }
}

/// sevhostd's answer, read whole (up to the client's size cap).
public struct DaemonHTTPResponse: Sendable, Equatable {
    public var status: Int
    /// The reason phrase of the status line, for messages about unexpected statuses.
    public var reason: String
    public var contentType: String?
    public var body: [UInt8]

    public init(status: Int, reason: String, contentType: String?, body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.contentType = contentType
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}
