import Foundation

/// The targets of a `Package.swift`, read from its text: names, kinds, source directories and
/// declared dependencies. A small reader for the shapes this package's manifest uses
/// (`.target(name:dependencies:path:)`, `.executableTarget`, `.testTarget`, dependencies as
/// `"Name"` or `.product(name:package:)`), not a Swift parser: what it does not recognise it
/// does not report, so a test also checks that every source directory belongs to a target.
struct PackageManifest: Equatable {
    struct Target: Equatable {
        enum Kind: String { case regular = "target", executable = "executableTarget", test = "testTarget" }
        var name: String
        var kind: Kind
        /// The directory holding its sources, relative to the package root.
        var path: String
        /// Targets of this package it depends on.
        var targetDependencies: Set<String>
        /// Products of other packages it depends on (their module names here are the product names).
        var productDependencies: Set<String>

        /// Test targets and the libraries only they use (sources under `Tests/`): above every
        /// layer, outside the layer table.
        var isTestTier: Bool { kind == .test || path.hasPrefix("Tests/") }
    }

    var targets: [Target]

    init(text: String) {
        var targets: [Target] = []
        for kind in [Target.Kind.regular, .executable, .test] {
            var rest = Substring(text)
            while let start = rest.range(of: ".\(kind.rawValue)(") {
                let body = Self.balanced(rest[start.upperBound...], open: "(", close: ")")
                rest = rest[start.upperBound...]
                guard let name = Self.stringArgument("name", in: body) else { continue }
                let dependencies = Self.list("dependencies", in: body)
                var targetNames: Set<String> = []
                var products: Set<String> = []
                for entry in Self.topLevelItems(dependencies) {
                    let item = Substring(entry.trimmingCharacters(in: .whitespacesAndNewlines))
                    let arguments = item.firstIndex(of: "(").map { Self.balanced(item[item.index(after: $0)...], open: "(", close: ")") } ?? ""
                    if item.hasPrefix(".product(") {
                        if let product = Self.stringArgument("name", in: arguments) { products.insert(product) }
                    } else if item.hasPrefix(".target(") || item.hasPrefix(".byName(") {
                        if let target = Self.stringArgument("name", in: arguments) { targetNames.insert(target) }
                    } else if item.hasPrefix("\""), item.hasSuffix("\""), item.count >= 2 {
                        targetNames.insert(String(item.dropFirst().dropLast()))
                    }
                }
                let path = Self.stringArgument("path", in: body) ?? (kind == .test ? "Tests/\(name)" : "Sources/\(name)")
                targets.append(Target(name: name, kind: kind, path: path, targetDependencies: targetNames, productDependencies: products))
            }
        }
        self.targets = targets.sorted { $0.name < $1.name }
    }

    func target(named name: String) -> Target? { targets.first { $0.name == name } }

    /// The text up to the bracket that closes the one before `text` (exclusive), skipping
    /// string literals and comments.
    static func balanced(_ text: Substring, open: Character, close: Character) -> Substring {
        var depth = 1
        var inString = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if character == "\\" { index = text.index(after: index) } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "/", text[index...].hasPrefix("//") {
                index = text[index...].firstIndex(of: "\n") ?? text.endIndex
                continue
            } else if character == open {
                depth += 1
            } else if character == close {
                depth -= 1
                if depth == 0 { return text[text.startIndex..<index] }
            }
            index = text.index(after: index)
        }
        return text
    }

    /// The value of `label: "value"` at the top level of a call's arguments.
    static func stringArgument(_ label: String, in arguments: Substring) -> String? {
        for item in topLevelItems(arguments) {
            let trimmed = item.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix(label + ":") else { continue }
            let value = trimmed.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)
            guard value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 else { return nil }
            return String(value.dropFirst().dropLast())
        }
        return nil
    }

    /// The contents of `label: [ … ]` at the top level of a call's arguments.
    static func list(_ label: String, in arguments: Substring) -> Substring {
        for item in topLevelItems(arguments) {
            let trimmed = Substring(item.trimmingCharacters(in: .whitespacesAndNewlines))
            guard trimmed.hasPrefix(label + ":"), let bracket = trimmed.firstIndex(of: "[") else { continue }
            return balanced(trimmed[trimmed.index(after: bracket)...], open: "[", close: "]")
        }
        return ""
    }

    /// Splits at commas that are not inside brackets, parentheses or strings; comments dropped.
    static func topLevelItems(_ text: Substring) -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        var inString = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                current.append(character)
                if character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex { current.append(text[index]) }
                } else if character == "\"" {
                    inString = false
                }
            } else if character == "/", text[index...].hasPrefix("//") {
                index = text[index...].firstIndex(of: "\n") ?? text.endIndex
                continue
            } else {
                switch character {
                case "\"": inString = true; current.append(character)
                case "(", "[": depth += 1; current.append(character)
                case ")", "]": depth -= 1; current.append(character)
                case "," where depth == 0: items.append(current); current = ""
                default: current.append(character)
                }
            }
            index = text.index(after: index)
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { items.append(current) }
        return items
    }
}
