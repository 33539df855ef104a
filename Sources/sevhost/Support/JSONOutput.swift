import Foundation
import SEVKit

/// `--json` (sevhost(1), CONVENTIONS): one document on standard output whose first key is
/// `schema`, named `sevhost-COMMAND/N` (the command's words joined by `-`, as its man page is
/// named, and a version that changes only when a key changes meaning or goes), and whose keys
/// are all in one style, kebab-case, as the daemon's API, the VM spec and `sevhost-ok/1` write
/// them. Every command's document is made here, so the schema key and the key style cannot
/// differ from one command to another.
enum JSONOutput {
    /// `sevhost-WORDS/VERSION`.
    static func schema(_ words: String, version: Int = 1) -> String {
        "sevhost-\(words)/\(version)"
    }

    /// The document `schema` then `members`, every key of every object (at any depth) in
    /// kebab-case, rendered with a final newline.
    static func render(_ schema: String, _ members: [(String, OrderedJSON)]) -> String {
        OrderedJSON.object([("schema", .string(schema))] + members.map { (kebab($0.0), kebabKeys($0.1)) }).rendered() + "\n"
    }

    /// An `Encodable` value (the daemon's types, encoded with their own kebab-case keys) with
    /// `schema` added beside its keys; `pretty` for a document, compact for a JSON line.
    static func render<Value: Encodable>(_ schema: String, _ value: Value, pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in Key(kebab(path.last?.stringValue ?? "")) }
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans of sevhost's own types: they always encode.
        return String(decoding: try! encoder.encode(Schema(schema: schema, value: value)), as: UTF8.self) + (pretty ? "\n" : "")
    }

    /// `value`'s keys and `schema` in one object: `value` must encode as an object.
    private struct Schema<Value: Encodable>: Encodable {
        var schema: String
        var value: Value
        private enum Keys: String, CodingKey { case schema }

        func encode(to encoder: any Encoder) throws {
            try value.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(schema, forKey: .schema)
        }
    }

    /// `name` in kebab-case: the SNP ABI's snake_case (`guest_svn` is `guest-svn`), AMD's
    /// certificate extension names and Swift's camelCase (`ucodeSPL` is `ucode-spl`,
    /// `maxESGuests` is `max-es-guests`).
    static func kebab(_ name: String) -> String {
        let characters = Array(name)
        var out = ""
        for (index, character) in characters.enumerated() {
            if character == "_" { out.append("-"); continue }
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A word starts at an upper-case letter after a lower-case one or a digit, and
                // at the last capital of an acronym that a lower-case word follows.
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    out.append("-")
                }
            }
            out.append(contentsOf: character.lowercased())
        }
        return out
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static func kebabKeys(_ value: OrderedJSON) -> OrderedJSON {
        switch value {
        case .object(let members): .object(members.map { (kebab($0.0), kebabKeys($0.1)) })
        case .array(let items): .array(items.map(kebabKeys))
        default: value
        }
    }
}
