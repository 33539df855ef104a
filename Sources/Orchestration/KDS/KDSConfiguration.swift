import Foundation
import SEVKit

/// Where KDS is and how patiently to ask it.
///
/// The base URL is AMD's unless a mirror is given (`--kds-url`, or `SEVHOST_KDS_URL` for
/// air-gapped hosts whose mirror serves the same paths).
public struct KDSConfiguration: Sendable {
    public static let environmentVariable = "SEVHOST_KDS_URL"

    public var baseURL: String
    /// Where fetched certificates and CRLs are kept; nil disables the cache.
    public var cacheDirectory: URL?
    /// Total attempts per request (the first try plus retries).
    public var maxAttempts: Int
    /// Longest wait honoured from a `Retry-After` header; longer requests fail instead of hanging.
    public var maxRetryAfter: Double
    /// Per-request timeout.
    public var timeout: Double

    public init(
        baseURL: String = KDSURL.amdBase, cacheDirectory: URL? = nil, maxAttempts: Int = 4,
        maxRetryAfter: Double = 60, timeout: Double = 30
    ) {
        self.baseURL = baseURL
        self.cacheDirectory = cacheDirectory
        self.maxAttempts = maxAttempts
        self.maxRetryAfter = maxRetryAfter
        self.timeout = timeout
    }

    /// The base URL from an explicit option, else the environment, else AMD's.
    public static func resolveBaseURL(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment[environmentVariable], !env.isEmpty { return env }
        return KDSURL.amdBase
    }

    /// `$XDG_CACHE_HOME/sevhost/kds`, else `~/.cache/sevhost/kds`.
    public static func defaultCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("sevhost/kds")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/sevhost/kds")
    }
}
