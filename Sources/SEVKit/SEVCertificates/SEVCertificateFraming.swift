/// The framing the two legacy SEV certificate formats share: AMD's CA format (ARK, ASK) and
/// the SEV platform format (PDH, PEK, OCA, CEK, GODH).
///
/// Both start with a 32-bit version that SEV API 55766 defines only as 1, and both are read
/// either one at a time from a file or back to back from a chain. One piece of code serves both
/// so that the two formats reject a wrong version and trailing bytes with the same words and
/// offsets, and a change to that rule cannot reach one format and miss the other.
protocol SEVCertificateFraming {
    /// Decodes one certificate at the reader's position, leaving it after the certificate.
    init(reader: inout ByteReader) throws(SEVCertificateError)
}

extension SEVCertificateFraming {
    /// Decodes exactly one certificate from `bytes`: anything after it is an error naming the
    /// offset where the extra bytes start. `certificate` says what was expected in that error
    /// ("certificate", "2084-byte certificate").
    init(exactly bytes: [UInt8], name: String, certificate: String) throws(SEVCertificateError) {
        var reader = ByteReader(bytes, context: name)
        try self.init(reader: &reader)
        guard reader.remaining == 0 else {
            throw .malformed(ByteDecodingError(
                context: name, offset: reader.offset,
                reason: "\(reader.remaining) unexpected bytes after the \(certificate)"))
        }
    }
}

extension ByteReader {
    /// Reads the version word both SEV certificate formats open with; any value but 1 is an
    /// error at the version's own offset.
    mutating func readSEVCertificateVersion() throws(ByteDecodingError) -> UInt32 {
        let start = offset
        let version = try readInteger(UInt32.self, field: "version")
        guard version == 1 else {
            throw ByteDecodingError(context: context, offset: start, reason: "version: expected 1, found \(version)")
        }
        return version
    }
}
