import Foundation

/// A small logic-less template language for the libvirt XML in `templates/`.
///
/// `{{key}}` inserts a value, XML-escaped; `{{#key}}…{{/key}}` renders its body once for `true`,
/// once per item for a list (each item's keys shadow the outer ones) and not at all for `false`
/// or a missing key; `{{^key}}…{{/key}}` renders when `#key` would not. A tag alone on its line
/// takes the whole line with it, so templates stay readable without leaving blank lines.
/// Kept this small on purpose: the templates are for users to adapt, not a programming language.
public struct Template: Sendable {
    public enum Value: Sendable, Equatable {
        case text(String)
        case flag(Bool)
        case list([[String: Value]])
    }

    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var problem: String
        public var description: String { "template \(name): \(problem)" }
    }

    private indirect enum Node: Sendable {
        case literal(String)
        case variable(String)
        case section(String, inverted: Bool, [Node])
    }

    public let name: String
    private let nodes: [Node]

    /// Parses `text`; `name` (usually the file name) appears in errors.
    public init(_ text: String, name: String) throws(Template.Error) {
        self.name = name
        var tokens = Self.tokenize(Self.stripStandaloneLines(text))[...]
        nodes = try Self.parse(&tokens, closing: nil, name: name)
    }

    public func render(_ context: [String: Value]) throws(Template.Error) -> String {
        var out = ""
        try Self.render(nodes, scopes: [context], into: &out, name: name)
        return out
    }

    // MARK: - parsing

    private enum Token { case text(String), tag(String) }

    private static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { tokens.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                tokens.append(.text(String(rest[open.lowerBound...])))
                return tokens
            }
            tokens.append(.tag(String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { tokens.append(.text(String(rest))) }
        return tokens
    }

    /// Removes the indentation and newline around section tags that stand alone on a line.
    private static func stripStandaloneLines(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        for index in lines.indices {
            let trimmed = lines[index].trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"),
                  let sigil = trimmed.dropFirst(2).first, "#^/".contains(sigil),
                  trimmed.dropFirst(2).dropLast(2).range(of: "{{") == nil
            else { continue }
            lines[index] = trimmed + "\u{0}"
        }
        return lines.joined(separator: "\n").replacingOccurrences(of: "\u{0}\n", with: "").replacingOccurrences(of: "\u{0}", with: "")
    }

    private static func parse(_ tokens: inout ArraySlice<Token>, closing: String?, name: String) throws(Template.Error) -> [Node] {
        var nodes: [Node] = []
        while let token = tokens.popFirst() {
            switch token {
            case .text(let text):
                nodes.append(.literal(text))
            case .tag(let tag):
                if tag.hasPrefix("/") {
                    let key = String(tag.dropFirst())
                    guard key == closing else {
                        throw Template.Error(name: name, problem: "unexpected {{/\(key)}}")
                    }
                    return nodes
                } else if tag.hasPrefix("#") || tag.hasPrefix("^") {
                    let key = String(tag.dropFirst())
                    let body = try parse(&tokens, closing: key, name: name)
                    nodes.append(.section(key, inverted: tag.hasPrefix("^"), body))
                } else {
                    nodes.append(.variable(tag))
                }
            }
        }
        if let closing { throw Template.Error(name: name, problem: "{{#\(closing)}} is never closed") }
        return nodes
    }

    // MARK: - rendering

    private static func lookup(_ key: String, _ scopes: [[String: Value]]) -> Value? {
        for scope in scopes.reversed() { if let value = scope[key] { return value } }
        return nil
    }

    private static func render(_ nodes: [Node], scopes: [[String: Value]], into out: inout String, name: String) throws(Template.Error) {
        for node in nodes {
            switch node {
            case .literal(let text):
                out += text
            case .variable(let key):
                switch lookup(key, scopes) {
                case .text(let text): out += XMLText.escape(text)
                case .flag, .list, nil:
                    throw Template.Error(name: name, problem: "{{\(key)}} has no text value")
                }
            case .section(let key, let inverted, let body):
                let value = lookup(key, scopes)
                let items: [[String: Value]]
                switch value {
                case .flag(true), .text: items = [[:]]
                case .list(let list): items = list
                case .flag(false), nil: items = []
                }
                if inverted {
                    if items.isEmpty { try render(body, scopes: scopes, into: &out, name: name) }
                } else {
                    for item in items { try render(body, scopes: scopes + [item], into: &out, name: name) }
                }
            }
        }
    }
}
