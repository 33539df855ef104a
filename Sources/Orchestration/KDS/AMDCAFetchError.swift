/// Why no AMD CA chain could be used for a CEK: each file tried and what was wrong with it, as
/// one line that ends with what the user can do instead.
public struct AMDCAFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One `ask_ark_<product>.cert` that was tried.
    public struct Attempt: Sendable, Equatable {
        public var url: String
        /// What went wrong: an HTTP status, unreachable, malformed (with the byte offset), a root
        /// that is not AMD's, or an ASK that does not sign the CEK.
        public var problem: String
        /// The server could not be reached at all (the user may be offline).
        public var unreachable: Bool

        public init(url: String, problem: String, unreachable: Bool = false) {
            self.url = url
            self.problem = problem
            self.unreachable = unreachable
        }
    }

    public var attempts: [Attempt]

    public init(attempts: [Attempt]) {
        self.attempts = attempts
    }

    public var description: String {
        let tried = attempts.map { "\($0.url): \($0.problem)" }
        let what = tried.count == 1 ? tried[0] : "no AMD CA chain signs the CEK (\(tried.joined(separator: "; ")))"
        let offline = attempts.contains(where: \.unreachable)
            ? ", or point --ca-url or \(AMDCAFetcher.environmentVariable) at a mirror" : ""
        return "\(what); pass AMD's CA chain (ASK then ARK) with --ca\(offline)"
    }
}
