import Foundation
import QMP

/// JSON read as QEMU's parser (`qobject/json-parser.c`) reads it, keeping where each value
/// lies in the text.
///
/// The front decides from a client's object whether the simulated AMD-SP answers it, and
/// rewrites only its `id`: it must accept exactly what QEMU accepts (QEMU's extensions too:
/// single-quoted strings, `\'`, integers too large for 64 bits read as doubles; and refuse a
/// duplicate key, as QEMU does), and it must be able to hand every other member on as written.
/// An object this reader refuses is passed to QEMU untouched, for QEMU to refuse in its words.
public struct QEMUJSONNode: Sendable {
    public var value: QMPValue
    /// Where the value lies in the text it was read from.
    public var range: Range<Int>
    /// An object's members in text order (key, where the key is, the value).
    public var members: [(key: String, keyRange: Range<Int>, node: QEMUJSONNode)]
    /// An array's elements in order.
    public var elements: [QEMUJSONNode]

    public func member(_ key: String) -> QEMUJSONNode? {
        members.first { $0.key == key }?.node
    }
}

public enum QEMUJSONReader {
    /// QEMU's limit on nesting (`MAX_NESTING` in json-streamer.c).
    static let maximumDepth = 1024

    /// The one value `bytes` holds (whitespace around it allowed), nil when QEMU would refuse it.
    public static func read(_ bytes: [UInt8]) -> QEMUJSONNode? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            guard let node = reader.value(depth: 0) else { return nil }
            reader.skipWhitespace()
            return reader.index == buffer.count ? node : nil
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func value(depth: Int) -> QEMUJSONNode? {
            skipWhitespace()
            guard depth <= QEMUJSONReader.maximumDepth, let byte = current else { return nil }
            let start = index
            switch byte {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                guard let text = string() else { return nil }
                return leaf(.string(text), from: start)
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                while let next = current, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(next) { index += 1 }
                switch String(decoding: bytes[start..<index], as: UTF8.self) {
                case "true": return leaf(.bool(true), from: start)
                case "false": return leaf(.bool(false), from: start)
                case "null": return leaf(.null, from: start)
                default: return nil
                }
            default:
                guard let number = number() else { return nil }
                return leaf(number, from: start)
            }
        }

        func leaf(_ value: QMPValue, from start: Int) -> QEMUJSONNode {
            QEMUJSONNode(value: value, range: start..<index, members: [], elements: [])
        }

        mutating func object(depth: Int) -> QEMUJSONNode? {
            let start = index
            index += 1
            var members: [(key: String, keyRange: Range<Int>, node: QEMUJSONNode)] = []
            var values: QMPValue.Object = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return QEMUJSONNode(value: .object([:]), range: start..<index, members: [], elements: [])
            }
            while true {
                skipWhitespace()
                let keyStart = index
                guard current == UInt8(ascii: "\"") || current == UInt8(ascii: "'"), let key = string() else { return nil }
                let keyRange = keyStart..<index
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let node = value(depth: depth + 1), values[key] == nil else { return nil }
                values[key] = node.value
                members.append((key, keyRange, node))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                guard current == UInt8(ascii: "}") else { return nil }
                index += 1
                return QEMUJSONNode(value: .object(values), range: start..<index, members: members, elements: [])
            }
        }

        mutating func array(depth: Int) -> QEMUJSONNode? {
            let start = index
            index += 1
            var elements: [QEMUJSONNode] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return QEMUJSONNode(value: .array([]), range: start..<index, members: [], elements: [])
            }
            while true {
                guard let node = value(depth: depth + 1) else { return nil }
                elements.append(node)
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                guard current == UInt8(ascii: "]") else { return nil }
                index += 1
                return QEMUJSONNode(value: .array(elements.map(\.value)), range: start..<index, members: [], elements: elements)
            }
        }

        /// A double- or single-quoted string with QEMU's escapes; nil for what QEMU refuses
        /// (an unknown escape, a bad `\u`, an unpaired surrogate, bytes that are not UTF-8).
        mutating func string() -> String? {
            guard let quote = current else { return nil }
            index += 1
            var scalars = String.UnicodeScalarView()
            var pending: [UInt8] = []
            func flush() -> Bool {
                guard !pending.isEmpty else { return true }
                guard let text = Self.validUTF8(pending) else { return false }
                scalars.append(contentsOf: text.unicodeScalars)
                pending.removeAll(keepingCapacity: true)
                return true
            }
            while let byte = current {
                index += 1
                if byte == quote {
                    guard flush() else { return nil }
                    return String(scalars)
                }
                guard byte >= 0x20 else { return nil }
                guard byte == UInt8(ascii: "\\") else {
                    pending.append(byte)
                    continue
                }
                guard flush(), let escaped = current else { return nil }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                    scalars.append(Unicode.Scalar(escaped))
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard let unit = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(unit) {
                        guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low),
                              let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        else { return nil }
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(unit) else { return nil }
                        scalars.append(scalar)
                    }
                default:
                    return nil
                }
            }
            return nil
        }

        static func validUTF8(_ bytes: [UInt8]) -> String? {
            if #available(macOS 15, *) { return String(validating: bytes, as: UTF8.self) }
            return String(bytes: bytes, encoding: .utf8)
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var result: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Self.hexDigit(bytes[index]) else { return nil }
                result = result << 4 | UInt32(digit)
                index += 1
            }
            return result
        }

        static func hexDigit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        /// JSON's number grammar; an integer is `int`/`uint` when it fits 64 bits, else a double
        /// (QEMU's `parse_literal`).
        mutating func number() -> QMPValue? {
            let start = index
            let negative = current == UInt8(ascii: "-")
            if negative { index += 1 }
            guard let first = current, Self.isDigit(first) else { return nil }
            index += 1
            if first != UInt8(ascii: "0") { while let byte = current, Self.isDigit(byte) { index += 1 } }
            var integer = true
            if current == UInt8(ascii: ".") {
                integer = false
                index += 1
                guard let byte = current, Self.isDigit(byte) else { return nil }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integer = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let byte = current, Self.isDigit(byte) else { return nil }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if integer {
                if negative, let value = Int64(text) { return .int(value) }
                if !negative, let value = UInt64(text) { return .unsigned(value) }
            }
            return Double(text).map(QMPValue.double)
        }

        static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    }
}
