import Foundation

/// The modules a Swift source file imports, with their lines: every `import` declaration,
/// whatever its attributes (`@testable`, `@preconcurrency`), access level or kind
/// (`import struct M.T`), inside `#if` blocks too. Text inside block comments and multi-line
/// string literals is skipped, so a test may hold Swift source as data.
struct SwiftImports {
    struct Import: Equatable {
        var module: String
        var line: Int
    }

    static func of(_ source: String) -> [Import] {
        var imports: [Import] = []
        var inMultilineString = false
        var inBlockComment = false
        for (number, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let quotes = raw.components(separatedBy: "\"\"\"").count - 1
            defer { if quotes % 2 == 1 { inMultilineString.toggle() } }
            if inMultilineString { continue }
            if inBlockComment {
                if line.contains("*/") { inBlockComment = false }
                continue
            }
            if line.hasPrefix("/*"), !line.contains("*/") {
                inBlockComment = true
                continue
            }
            if let module = module(in: line) { imports.append(Import(module: module, line: number + 1)) }
        }
        return imports
    }

    static let modifiers: Set<String> = ["public", "package", "internal", "fileprivate", "private"]
    static let kinds: Set<String> = ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"]

    /// The module of an import declaration on `line`, or nil.
    static func module(in line: String) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)[...]
        while let first = words.first, first.hasPrefix("@") || modifiers.contains(first) { words = words.dropFirst() }
        guard words.first == "import" else { return nil }
        words = words.dropFirst()
        if let first = words.first, kinds.contains(first) { words = words.dropFirst() }
        guard let path = words.first else { return nil }
        let module = String(path.prefix { $0 != "." && $0 != ";" })
        guard let head = module.first, head.isLetter || head == "_" else { return nil }
        return module
    }
}
