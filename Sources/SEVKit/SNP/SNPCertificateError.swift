/// A certificate, CRL or chain could not be decoded or did not verify.
///
/// The message names the certificate (its role or file) and what was wrong, in one line; it
/// never contains key material.
public struct SNPCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
