import Foundation

/// A QEMU command line read the way QEMU reads it, for checking a launch sevhost did not write.
///
/// Options are taken in order with their value (QEMU's table decides which take none, so the
/// next option is found where QEMU finds it); `-object`, `-machine`, `-blockdev`, `-drive` and
/// `-accel` values are read both in QEMU's `key=value,…` form (with `,,` for a comma) and in
/// the JSON form libvirt writes (`-object '{"qom-type":"sev-snp-guest",…}'`). The QEMU front
/// (`QEMUFront`, layer 3) keeps its own byte-preserving `QEMUKeyValueList` for rewriting a
/// command line; this reader only interprets one.
public struct QEMUArgv: Sendable, Equatable {
    public struct Option: Sendable, Equatable {
        /// The option without dashes (`object`); nil for a positional disk image.
        public var name: String?
        /// As written (`-object`, `--object`).
        public var spelling: String
        public var value: String?

        /// `-object sev-snp-guest,…` cut to `limit` characters, to name it in a finding.
        public func location(limit: Int = 60) -> String {
            guard let value else { return spelling }
            return spelling + " " + (value.count > limit ? value.prefix(limit) + "…" : value)
        }
    }

    public var options: [Option]

    /// QEMU 10.0's options that take no value (`qemu-options.hx`).
    static let withoutValue: Set<String> = [
        "S", "h", "help", "version", "preconfig", "daemonize", "enable-kvm", "enable-sync-profile",
        "full-screen", "jitdump", "mem-prealloc", "no-fd-bootchk", "no-reboot", "no-shutdown",
        "no-user-config", "nodefaults", "nographic", "only-migratable", "perfmap", "s", "snapshot",
        "usb", "win2k-hack", "xen-attach", "xen-domid-restrict", "semihosting", "old-param", "no-hpet",
        "no-acpi",
    ]

    /// Splits `arguments` (without argv[0]; a leading QEMU program name is skipped too).
    public init(arguments: [String]) throws(LaunchCheckInputError) {
        var arguments = arguments[...]
        if let first = arguments.first, !first.hasPrefix("-"), first.contains("qemu") { arguments = arguments.dropFirst() }
        var options: [Option] = []
        var iterator = arguments.makeIterator()
        while let word = iterator.next() {
            guard word.hasPrefix("-"), word.count > 1 else {
                options.append(Option(name: nil, spelling: word, value: nil))
                continue
            }
            let name = String(word.drop { $0 == "-" })
            if Self.withoutValue.contains(name) {
                options.append(Option(name: name, spelling: word, value: nil))
                continue
            }
            guard let value = iterator.next() else { throw LaunchCheckInputError("\(word): requires an argument") }
            options.append(Option(name: name, spelling: word, value: value))
        }
        self.options = options
    }

    /// Reads a file holding a command line: words split as a POSIX shell splits them (single
    /// and double quotes, backslash escapes, `\`-newline continuations), as `sevhost launch
    /// --print qemu` writes them and as users paste them.
    public static func words(ofShellText text: String) throws(LaunchCheckInputError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var chars = text.makeIterator()
        while let c = chars.next() {
            switch c {
            case "\\":
                guard let next = chars.next() else { break }
                if next == "\n" { continue }
                current.append(next)
                inWord = true
            case "'":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "'" { closed = true; break }
                    current.append(q)
                }
                if !closed { throw LaunchCheckInputError("unterminated single quote") }
            case "\"":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "\"" { closed = true; break }
                    if q == "\\", let escaped = chars.next() {
                        if !"$`\"\\\n".contains(escaped) { current.append("\\") }
                        if escaped != "\n" { current.append(escaped) }
                        continue
                    }
                    current.append(q)
                }
                if !closed { throw LaunchCheckInputError("unterminated double quote") }
            case " ", "\t", "\n", "\r":
                if inWord { words.append(current); current = ""; inWord = false }
            case "#" where !inWord:
                while let skipped = chars.next(), skipped != "\n" {}
            default:
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The options called any of `names`, in order.
    public func all(_ names: String...) -> [Option] {
        options.filter { option in option.name.map(names.contains) ?? false }
    }

    public func contains(_ name: String) -> Bool { options.contains { $0.name == name } }
}

/// An option value in either of QEMU's forms, with its properties as text: JSON numbers as
/// decimal, booleans as `on`/`off` (QEMU's spelling), nested objects flattened to dotted keys.
public struct QEMUProperties: Sendable, Equatable {
    /// The implied first key (`sev-guest` of `-object sev-guest,…`, `q35` of `-machine q35`).
    public var head: String?
    public var values: [String: String]
    /// The keys in the order written (JSON objects in sorted order).
    public var keys: [String]
    /// True when the value was JSON.
    public var isJSON: Bool

    public subscript(key: String) -> String? { values[key] }

    /// `-object`'s type: `qom-type` (JSON, or keyval) or the implied head.
    public var qomType: String? { values["qom-type"] ?? head }

    /// Parses `text`; JSON when it starts with `{`.
    public init(_ text: String) throws(LaunchCheckInputError) {
        if text.hasPrefix("{") {
            guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8)) else {
                throw LaunchCheckInputError("'\(text.prefix(60))': not a JSON object")
            }
            var values: [String: String] = [:]
            Self.flatten(object, prefix: "", into: &values)
            self.init(head: nil, values: values, keys: values.keys.sorted(), isJSON: true)
            return
        }
        var parts: [String] = []
        var current = ""
        var chars = text[...]
        while let c = chars.popFirst() {
            if c == "," {
                if chars.first == "," {
                    current.append(",")
                    chars = chars.dropFirst()
                } else {
                    parts.append(current)
                    current = ""
                }
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        var head: String?
        var values: [String: String] = [:]
        var keys: [String] = []
        for (index, part) in parts.enumerated() {
            if let equals = part.firstIndex(of: "=") {
                let key = String(part[..<equals])
                if values[key] == nil { keys.append(key) }
                values[key] = String(part[part.index(after: equals)...])
            } else if index == 0 {
                head = part
            } else if !part.isEmpty {
                // QEMU's short boolean forms: `key` is on, `nokey` is off.
                let (key, value) = part.hasPrefix("no") ? (String(part.dropFirst(2)), "off") : (part, "on")
                if values[key] == nil { keys.append(key) }
                values[key] = value
            }
        }
        self.init(head: head, values: values, keys: keys, isJSON: false)
    }

    init(head: String?, values: [String: String], keys: [String], isJSON: Bool) {
        self.head = head
        self.values = values
        self.keys = keys
        self.isJSON = isJSON
    }

    private static func flatten(_ object: [String: JSONValue], prefix: String, into values: inout [String: String]) {
        for (key, value) in object {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case .object(let nested): flatten(nested, prefix: name, into: &values)
            case .text(let text): values[name] = text
            }
        }
    }

    /// A JSON value as QEMU's keyval reads it back into text.
    enum JSONValue: Decodable {
        case text(String)
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .text(flag ? "on" : "off")
            } else if let integer = try? container.decode(Int64.self) {
                self = .text(String(integer))
            } else if let unsigned = try? container.decode(UInt64.self) {
                self = .text(String(unsigned))
            } else if let number = try? container.decode(Double.self) {
                self = .text(String(number))
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let object = try? container.decode([String: JSONValue].self) {
                self = .object(object)
            } else if let list = try? container.decode([JSONValue].self) {
                self = .text("[\(list.count) items]")
            } else {
                self = .text("null")
            }
        }
    }
}

/// The input `check` was given cannot be read as a libvirt domain or a QEMU command line.
public struct LaunchCheckInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
