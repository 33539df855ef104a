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

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
