/// Why a policy string could not be read.
///
/// Each case names the offending token so a user typing `nodbg,nosnd` learns which word is wrong
/// and what the accepted words are, instead of getting a bare "invalid policy".
public enum PolicyParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A hex or decimal number that does not fit the policy's width.
    case outOfRange(String, bits: Int)
    /// A word that is not a flag name of this policy.
    case unknownName(String, accepted: [String])
    /// `api=` / `abi=` with something other than `MAJOR.MINOR` (each 0...255).
    case badVersion(String)
    /// Nothing to parse.
    case empty

    public var description: String {
        switch self {
        case .outOfRange(let text, let bits):
            "policy '\(text)' is not a \(bits)-bit number"
        case .unknownName(let name, let accepted):
            "unknown policy flag '\(name)' (expected a hex value or names from: \(accepted.joined(separator: ", ")))"
        case .badVersion(let text):
            "policy version '\(text)' is not MAJOR.MINOR with each part 0...255"
        case .empty:
            "policy is empty (expected a hex value such as 0x30000 or flag names)"
        }
    }
}

/// Shared tokenising for the two policy syntaxes: a number (`0x…` hex or decimal) or a comma list
/// of names, optionally with one `key=MAJOR.MINOR` version item.
enum PolicyText {
    /// Parses `0x1f` / `31` into a value no wider than `bits`; nil if `text` is not numeric at all.
    static func number(_ text: String, bits: Int) throws(PolicyParseError) -> UInt64? {
        let largest: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        do {
            return try IntegerText.parse(text, in: 0...largest)
        } catch .notANumber {
            return nil
        } catch {
            throw .outOfRange(text, bits: bits)
        }
    }

    /// Splits `a, b ,c` into trimmed, lower-cased, non-empty words.
    static func words(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingASCIISpaces().lowercased() }.filter { !$0.isEmpty }
    }

    /// Reads `MAJOR.MINOR`.
    static func version(_ text: String) throws(PolicyParseError) -> (major: UInt8, minor: UInt8) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = UInt8(parts[0]), let minor = UInt8(parts[1]) else {
            throw .badVersion(text)
        }
        return (major, minor)
    }
}

extension Substring {
    func trimmingASCIISpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
