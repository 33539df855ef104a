import Foundation

/// The one `Retry-After` of a process: KDS rate-limits a client, not a URL, so when any request
/// hears 429 (or 503) with a delay, every request waits until then before asking again, rather
/// than each finding out for itself with another 429.
public actor KDSRetryGate {
    private var until: Date?
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Holds every request for `seconds` from now (a later hold extends it, an earlier one does not).
    public func hold(for seconds: Double) {
        let end = now().addingTimeInterval(max(0, seconds))
        if until.map({ end > $0 }) ?? true { until = end }
    }

    /// Waits out the current hold, if any.
    public func pass(sleeper: @Sendable (Double) async -> Void) async {
        guard let until else { return }
        let wait = until.timeIntervalSince(now())
        if wait > 0 { await sleeper(wait) }
    }

    /// When the current hold ends (nil when there is none), for a server telling its clients.
    public var holdEnds: Date? {
        guard let until, until > now() else { return nil }
        return until
    }
}
