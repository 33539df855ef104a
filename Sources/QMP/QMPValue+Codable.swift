import Foundation

/// `Codable`, so a `QMPValue` can sit inside other Codable types (bundles, reports) and be
/// printed with `JSONEncoder`'s sorted keys.
extension QMPValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let number = try? container.decode(Int64.self) {
            self = .int(number)
        } else if let number = try? container.decode(UInt64.self) {
            self = .uint(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let members = try? container.decode([String: QMPValue].self) {
            self = .object(members)
        } else {
            self = .array(try container.decode([QMPValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .int(let number): try container.encode(number)
        case .uint(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

extension QMPValue {
    /// Parses one JSON text (see `QMPJSONParser` for why not `JSONDecoder`).
    public init(json: some Collection<UInt8>) throws(QMPError) {
        let parsed = json.withContiguousStorageIfAvailable { QMPJSONParser.parse(UnsafeRawBufferPointer($0)) }
            ?? Array(json).withUnsafeBytes { QMPJSONParser.parse($0) }
        guard let parsed else { throw QMPError.malformedMessage(Self.excerpt(json)) }
        self = parsed
    }

    /// The value as compact JSON with sorted keys: stable output that diffs cleanly.
    public func jsonText(pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a QMPValue cannot fail: every case maps to a JSON value (non-finite doubles
        // cannot come out of the parser).
        let data = (try? encoder.encode(self)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The start of an unparseable message, printable and short enough for a one-line error.
    static func excerpt(_ bytes: some Collection<UInt8>, limit: Int = 60) -> String {
        let head = bytes.prefix(limit).map { byte -> Character in
            (0x20..<0x7F).contains(byte) ? Character(Unicode.Scalar(byte)) : "."
        }
        return String(head) + (bytes.count > limit ? "…" : "")
    }
}
