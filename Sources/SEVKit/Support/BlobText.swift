import Foundation

/// The one place that tells the forms of a launch blob apart, so every command accepts
/// whatever the tool before it wrote: a key, a measurement, a secret header or payload, a
/// certificate, as
///
/// - raw bytes (sevctl's `_tek.bin`/`_tik.bin`, `secret build` header and payload files,
///   `measurement build --outfile`, `sevctl export`'s chain; `sevhost secret build --raw`),
/// - base64 text (sevctl's printed measurement and `_godh.b64`/`_session.b64`, QEMU's
///   `query-sev-launch-measure` `data`, `virsh domlaunchsecinfo`'s `sev-measurement`,
///   `sevhost secret build` files),
/// - hex text, `0x` allowed (`sevhost qmp measure`, `attest run`, snpguest's digests),
/// - QEMU's reply saved as JSON (`{"data": B64}` or `{"return": {"data": B64}}`), or
///   `virsh domlaunchsecinfo` output saved to a file (a `sev-measurement : B64` line).
///
/// The caller says which sizes it takes. Text forms are tried first and kept only when they
/// decode to a size the caller takes; when text reads both as hex and as base64 of a taken
/// size, hex wins (`2 × n` hex digits, such as a 32-byte measurement in 64 digits, are also
/// base64 of `1.5 × n` bytes; base64 of random bytes made only of hex digits does not occur
/// in practice). Raw bytes are taken when their size fits and no text form did: binary keys
/// and ciphertext are not text.
public enum BlobText {
    /// Which decoded sizes a caller takes.
    public struct Sizes: Sendable, CustomStringConvertible {
        let accepts: @Sendable (Int) -> Bool
        public let description: String

        public init(description: String, accepts: @escaping @Sendable (Int) -> Bool) {
            self.accepts = accepts
            self.description = description
        }

        /// Exactly these byte counts.
        public static func exactly(_ counts: Int...) -> Sizes {
            Sizes(description: counts.map { "\($0) bytes" }.joined(separator: " or ")) { counts.contains($0) }
        }
    }

    /// Why a file or text is none of the forms.
    public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Text that decodes (hex or base64), but to a size the caller does not take.
        case wrongDecodedSize(found: String, expected: String)
        /// Neither text nor raw bytes of a size the caller takes.
        case unrecognised(count: Int, expected: String)

        public var description: String {
            switch self {
            case .wrongDecodedSize(let found, let expected):
                "expected \(expected), \(found)"
            case .unrecognised(let count, let expected):
                "expected \(expected) (raw, base64 or hex), found \(count) bytes that are neither"
            }
        }
    }

    /// Decodes a file's contents.
    public static func decode(file bytes: [UInt8], _ sizes: Sizes) throws(DecodeError) -> [UInt8] {
        var textError: DecodeError?
        if let text = String(validating: bytes, as: UTF8.self) {
            switch decodeText(text, sizes) {
            case .success(let decoded): return decoded
            case .failure(let error): textError = error
            }
        }
        if sizes.accepts(bytes.count) { return bytes }
        throw textError ?? .unrecognised(count: bytes.count, expected: sizes.description)
    }

    /// A certificate file: base64 or hex text of at least `minimum` bytes is decoded (QEMU's
    /// `query-sev-capabilities` and virsh hand certificates out in base64), anything else is
    /// returned as it is, raw, for the certificate parser to judge and name its offsets.
    public static func decode(certificateFile bytes: [UInt8], minimum: Int) -> [UInt8] {
        guard let text = String(validating: bytes, as: UTF8.self),
              let decoded = try? decode(text: text, Sizes(description: "certificates") { $0 >= minimum })
        else { return bytes }
        return decoded
    }

    /// Decodes text given on the command line (hex, base64 or one of the saved forms).
    public static func decode(text: String, _ sizes: Sizes) throws(DecodeError) -> [UInt8] {
        switch decodeText(text, sizes) {
        case .success(let decoded): return decoded
        case .failure(let error): throw error
        }
    }

    private static func decodeText(_ text: String, _ sizes: Sizes) -> Result<[UInt8], DecodeError> {
        let payload = unwrapped(text.trimmingCharacters(in: .whitespacesAndNewlines))
        let compact = String(payload.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) })
        guard !compact.isEmpty else { return .failure(.unrecognised(count: text.utf8.count, expected: sizes.description)) }
        let hex = Hex.decode(compact)
        let base64 = Data(base64Encoded: compact).map { [UInt8]($0) }
        if let hex, sizes.accepts(hex.count) { return .success(hex) }
        if let base64, sizes.accepts(base64.count) { return .success(base64) }
        switch (hex, base64) {
        case (let hex?, let base64?):
            return .failure(.wrongDecodedSize(
                found: "the text decodes to \(hex.count) bytes as hex, \(base64.count) as base64", expected: sizes.description))
        case (let hex?, nil):
            return .failure(.wrongDecodedSize(found: "the hex text decodes to \(hex.count)", expected: sizes.description))
        case (nil, let base64?):
            return .failure(.wrongDecodedSize(found: "the base64 text decodes to \(base64.count)", expected: sizes.description))
        case (nil, nil): return .failure(.unrecognised(count: text.utf8.count, expected: sizes.description))
        }
    }

    /// The value inside a saved QMP reply or virsh listing; other text unchanged.
    private static func unwrapped(_ text: String) -> String {
        if text.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            let reply = object["return"] as? [String: Any] ?? object
            if let data = reply["data"] as? String { return data }
            return text
        }
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", maxSplits: 1)
            if fields.count == 2, fields[0].trimmingCharacters(in: .whitespaces) == "sev-measurement" {
                return fields[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return text
    }
}
