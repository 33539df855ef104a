/// A QEMU option value of the form `head,key=value,...` (QemuOpts and keyval), kept as the
/// comma-separated parts it was written in so that removing one part leaves every other byte
/// as the user wrote it. `,,` is a literal comma inside a part, as in QEMU.
public struct QEMUKeyValueList: Sendable, Hashable {
    /// The parts as written, with their `,,` escapes.
    public var parts: [String]

    public init(_ text: String) {
        var parts: [String] = []
        var current = ""
        var characters = text[...]
        while let character = characters.popFirst() {
            if character == "," {
                if characters.first == "," {
                    current += ",,"
                    characters = characters.dropFirst()
                } else {
                    parts.append(current)
                    current = ""
                }
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        self.parts = parts
    }

    public var text: String { parts.joined(separator: ",") }

    /// The first part when it has no `=` (QEMU's implied key: the type of `-machine q35`, the
    /// path of `-qmp unix:PATH`), unescaped.
    public var head: String? {
        guard let first = parts.first, !first.contains("=") else { return nil }
        return Self.unescape(first)
    }

    /// The value of the last `key=value` part (QEMU keeps the last), unescaped; a bare `key`
    /// reads as `on` (QEMU's deprecated short form for booleans), `nokey` as `off`.
    public subscript(key: String) -> String? {
        for part in parts.reversed() {
            if let equals = part.firstIndex(of: "="), part[..<equals] == key {
                return Self.unescape(String(part[part.index(after: equals)...]))
            }
            if part == key { return "on" }
            if part == "no" + key { return "off" }
        }
        return nil
    }

    /// Removes every part that sets `key` (also its short boolean forms).
    public mutating func remove(_ key: String) {
        parts.removeAll { part in
            part.hasPrefix(key + "=") || part == key || part == "no" + key
        }
    }

    /// Replaces the implied first part (a path, a type).
    public mutating func replaceHead(with value: String) {
        let escaped = value.replacingOccurrences(of: ",", with: ",,")
        if head != nil { parts[0] = escaped } else { parts.insert(escaped, at: 0) }
    }

    /// Sets `key` to `value`, replacing the parts that set it.
    public mutating func set(_ key: String, _ value: String) {
        remove(key)
        parts.append(key + "=" + value.replacingOccurrences(of: ",", with: ",,"))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: ",,", with: ",")
    }
}
