/// A number written in JSON as a hex string (`"0x1f"`) or a plain integer.
public struct HexNumber<Value: FixedWidthInteger & UnsignedInteger & Sendable & Codable>: Codable, Sendable, Equatable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard IntegerText.hasHexPrefix(text), let parsed = try? IntegerText.parse(text, as: Value.self) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected a hex number like \"0x1f\", found \"\(text)\"")
            }
            value = parsed
        } else if let number = try? container.decode(Value.self) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a hex string like \"0x1f\" or an unsigned integer")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("0x" + String(value, radix: 16))
    }
}
