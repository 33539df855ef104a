/// Integers as users and AMD's documents write them: decimal (`196608`) or hex with a `0x`
/// prefix (`0x30000`, either case), nothing else: no sign, no spaces, no other base.
///
/// Every option and file field that takes a number reads it here (guest policies, GPAs, firmware
/// versions, vCPU signatures, TCBs, QEMU's `policy=`, captured hosts' registers), so `0X1f`,
/// `+5` or `1e3` mean the same thing, or are refused the same way, wherever they are typed.
public enum IntegerText {
    /// Why a text is not an acceptable integer.
    public enum Failure: Error, Sendable, Hashable {
        /// Not decimal digits, nor `0x` and hex digits.
        case notANumber
        /// A number, but too large for the type or outside the range asked for.
        case outOfRange
    }

    /// `text` as a `T` within `range` (by default, all of `T`).
    public static func parse<T: FixedWidthInteger & UnsignedInteger>(
        _ text: some StringProtocol, as type: T.Type = T.self, in range: ClosedRange<T> = T.min...T.max
    ) throws(Failure) -> T {
        let hex = text.hasPrefix("0x") || text.hasPrefix("0X")
        let digits = hex ? text.dropFirst(2) : text[...]
        let radix = hex ? 16 : 10
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) }) else {
            throw .notANumber
        }
        guard let value = T(digits, radix: radix), range.contains(value) else { throw .outOfRange }
        return value
    }

    /// Whether `text` starts with the hex prefix, for fields that take hex only.
    public static func hasHexPrefix(_ text: some StringProtocol) -> Bool {
        text.hasPrefix("0x") || text.hasPrefix("0X")
    }
}
