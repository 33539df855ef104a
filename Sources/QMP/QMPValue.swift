/// A JSON value as QMP carries it.
///
/// QMP is JSON, but its integers are QAPI `int`/`uint64` (an SEV-SNP policy or a guest physical
/// address does not fit a `Double` exactly), so integers keep their own cases instead of being
/// folded into a floating-point number the way `JSONSerialization` would.
public enum QMPValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer above `Int64.max` (QAPI `uint64`).
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([QMPValue])
    case object([String: QMPValue])

    /// A QMP object's members.
    public typealias Object = [String: QMPValue]

    public var objectValue: Object? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The value as an unsigned integer, when it is a non-negative integer.
    public var uint64Value: UInt64? {
        switch self {
        case .int(let number) where number >= 0: return UInt64(number)
        case .uint(let number): return number
        default: return nil
        }
    }

    /// The value as a signed integer, when it is an integer that fits.
    public var int64Value: Int64? {
        switch self {
        case .int(let number): return number
        case .uint(let number) where number <= UInt64(Int64.max): return Int64(number)
        default: return nil
        }
    }

    public subscript(member: String) -> QMPValue? {
        objectValue?[member]
    }

    /// A short name for the kind of value, for error messages ("expected string, found object").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .uint: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// Deliberately not ExpressibleByNilLiteral: `nil` must keep meaning "no value" in the
// `QMPValue?` that parsers and lookups return, not JSON null.
extension QMPValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(dictionaryLiteral elements: (String, QMPValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(arrayLiteral elements: QMPValue...) { self = .array(elements) }
}

extension QMPValue {
    /// An unsigned integer in the narrowest case that holds it, so that equal numbers compare equal.
    public static func unsigned(_ number: UInt64) -> QMPValue {
        number <= UInt64(Int64.max) ? .int(Int64(number)) : .uint(number)
    }
}
