import BoundedFiles
import Foundation
import SEVKit
import Yams

/// Reads VM specs from YAML or JSON text.
///
/// JSON is a subset of the YAML that libyaml accepts, so both go through one parser and one
/// schema: a key means the same thing whichever syntax carries it, and errors carry YAML line
/// numbers for both. Unknown keys are refused rather than ignored, because a misspelt
/// `kernel-hash:` silently dropped would change the launch measurement without a word.
public enum SpecLoader {
    /// Decodes a spec from `text`; `file` names it in errors.
    public static func load(text: String, file: String = "<spec>") throws(SpecError) -> VMSpec {
        try loadWithLines(text: text, file: file).spec
    }

    /// Decodes a spec and also returns where each of its fields is in the text.
    public static func loadWithLines(text: String, file: String = "<spec>") throws(SpecError) -> (spec: VMSpec, lines: SpecLines) {
        do {
            try SpecSyntax.check(text)
        } catch {
            throw SpecError(file: file, field: "", line: error.line, problem: error.problem)
        }
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw SpecError(file: file, field: "", problem: "the file is empty (expected a VM spec mapping)")
            }
            node = composed
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw syntaxError(error, text: text, file: file)
        } catch {
            throw SpecError(file: file, field: "", problem: "cannot parse as YAML or JSON")
        }
        try SpecSchema.checkKeys(node, file: file)
        try SpecSchema.checkText(node, file: file)
        do {
            return (try YAMLDecoder().decode(VMSpec.self, from: node), SpecLines(root: node))
        } catch let error as DecodingError {
            throw decodingError(error, root: node, file: file)
        } catch {
            throw SpecError(file: file, field: "", problem: "\(error)")
        }
    }

    /// Reads and decodes the spec at `path`.
    public static func load(path: String) throws(SpecError) -> VMSpec {
        try loadWithLines(path: path).spec
    }

    /// Reads and decodes the spec at `path`, with the line of each field.
    public static func loadWithLines(path: String) throws(SpecError) -> (spec: VMSpec, lines: SpecLines) {
        let data: [UInt8]
        do {
            data = try BoundedFile.read(path, .spec)
        } catch {
            throw SpecError(file: path, field: "", problem: "cannot read the spec file: \(error.problem)")
        }
        guard let text = String(bytes: data, encoding: .utf8) else {
            throw SpecError(file: path, field: "", problem: "the spec file is not UTF-8 text")
        }
        return try loadWithLines(text: text, file: path)
    }

    /// The parser's refusal as one line with the line number: libyaml's own problem text (a
    /// fixed phrase), never the excerpt of the file Yams would quote with it.
    private static func syntaxError(_ error: YamlError, text: String, file: String) -> SpecError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return SpecError(file: file, field: "", line: mark.line, problem: "invalid YAML/JSON: \(problem)")
        case .reader(let problem, let offset, let value, _):
            let line = offset.map { offset in text.utf8.prefix(offset).reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }
            let character = value >= 0 ? " (U+\(String(value, radix: 16, uppercase: true)))" : ""
            return SpecError(file: file, field: "", line: line, problem: "invalid YAML/JSON: \(problem)\(character)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\(TerminalText.line($0.prefix(64)))'" }.joined(separator: ", ")
            return SpecError(file: file, field: "", line: context.mark.line, problem: "duplicate key \(names): each key may appear once")
        case .dataCouldNotBeDecoded:
            return SpecError(file: file, field: "", problem: "the spec is not UTF-8 text")
        default:
            return SpecError(file: file, field: "", problem: "invalid YAML/JSON")
        }
    }

    private static func decodingError(_ error: DecodingError, root: Node, file: String) -> SpecError {
        let path: [any CodingKey]
        let problem: String
        switch error {
        case .keyNotFound(let key, let context):
            path = context.codingPath
            let field = SpecPath.text(context.codingPath + [key])
            let line = SpecPath.node(at: context.codingPath, in: root)?.mark?.line
            return SpecError(file: file, field: field, line: line, problem: "is required but missing")
        case .typeMismatch(let type, let context):
            path = context.codingPath
            problem = "expected \(SpecPath.describe(type))"
        case .valueNotFound(let type, let context):
            path = context.codingPath
            problem = "expected \(SpecPath.describe(type)), found null"
        case .dataCorrupted(let context):
            path = context.codingPath
            problem = SpecPath.cleanDebugDescription(context.debugDescription)
        @unknown default:
            return SpecError(file: file, field: "", problem: "\(error)")
        }
        let line = SpecPath.node(at: path, in: root)?.mark?.line
        return SpecError(file: file, field: SpecPath.text(path), line: line, problem: problem)
    }
}
