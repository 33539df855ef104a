import Foundation
import QMP

/// JSON text as QEMU writes it on a QMP monitor (`qobject_to_json`), for the replies the
/// simulated AMD-SP gives in QEMU's place: a client comparing bytes sees no seam.
///
/// - Members come in the order QEMU's `QDict` iterates them, which is not the order they were
///   added: a `QDict` is a hash table of 512 buckets (`QDICT_BUCKET_MAX`) indexed by
///   `tdb_hash(key) % 512`, walked bucket by bucket, and each bucket is a list to which entries
///   are added at the head. So QEMU's greeting reads `"micro", "minor", "major"`.
/// - `": "` after a key, `", "` between members and elements.
/// - In strings, `"` `\` and the control characters with short escapes use them; every other
///   character below U+0020 or above U+007E is `\uXXXX` (upper-case hex; a surrogate pair
///   beyond the BMP).
/// - Integers in decimal.
///
/// `members` lists an object's members in the order QEMU adds them (the QAPI schema's order);
/// the writer then orders them as QEMU's hash table does.
public indirect enum QEMUJSON: Sendable, Hashable {
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case string(String)
    case array([QEMUJSON])
    case object([(String, QEMUJSON)])
    /// Text already in QEMU's form (an `id` QEMU echoed), written as it is.
    case verbatim(String)

    public static func == (lhs: QEMUJSON, rhs: QEMUJSON) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    public var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    func write(to output: inout String) {
        switch self {
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .bool(let value): output += value ? "true" : "false"
        case .string(let value): Self.writeString(value, to: &output)
        case .verbatim(let text): output += text
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += ", " }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in Self.qdictOrder(members).enumerated() {
                if index > 0 { output += ", " }
                Self.writeString(member.0, to: &output)
                output += ": "
                member.1.write(to: &output)
            }
            output += "}"
        }
    }

    /// QEMU's `tdb_hash` (qobject/qdict.c), the key's bucket before `% QDICT_BUCKET_MAX`.
    static func tdbHash(_ key: String) -> UInt32 {
        let bytes = Array(key.utf8)
        var value = UInt32(truncatingIfNeeded: 0x238F13AF &* UInt32(truncatingIfNeeded: bytes.count))
        for (index, byte) in bytes.enumerated() {
            value = value &+ (UInt32(byte) << UInt32((index * 5) % 24))
        }
        return 1_103_515_243 &* value &+ 12345
    }

    static let bucketCount: UInt32 = 512

    /// Members in the order a `QDict` built by adding them in `members`' order is walked.
    static func qdictOrder(_ members: [(String, QEMUJSON)]) -> [(String, QEMUJSON)] {
        let indexed = members.enumerated().map { (bucket: tdbHash($0.element.0) % bucketCount, added: $0.offset, member: $0.element) }
        return indexed.sorted { a, b in
            a.bucket != b.bucket ? a.bucket < b.bucket : a.added > b.added
        }.map(\.member)
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value > 0xFFFF {
                    let offset = scalar.value - 0x10000
                    output += String(format: "\\u%04X\\u%04X", 0xD800 + (offset >> 10), 0xDC00 + (offset & 0x3FF))
                } else if scalar.value < 0x20 || scalar.value >= 0x7F {
                    output += String(format: "\\u%04X", scalar.value)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
