/// Why a KDS request failed, in one line a user can act on.
public struct KDSError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The host could not be reached at all (no network, DNS, refused).
        case offline
        /// KDS answered 404: no such product, chip or TCB.
        case notFound
        /// Any other non-200 status, after retries.
        case httpStatus(Int)
        /// The body was not what the URL promises (not a certificate / CRL).
        case badContent
        /// The cache could not be written.
        case cache
    }

    public var kind: Kind
    public var message: String
    /// What went wrong without KDS's wording: libcurl's reason for `.offline`, or why a body
    /// was refused. Lets a caller that fetches something other than KDS (AMD's legacy CA files)
    /// word its own line.
    public var detail: String?

    public init(_ kind: Kind, _ message: String, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.detail = detail
    }

    public var description: String { message }
}
