import Foundation
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
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw SpecError(file: file, field: "", problem: "the file is empty (expected a VM spec mapping)")
            }
            node = composed
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw SpecError(file: file, field: "", problem: "cannot parse: \(error)")
        }
        try SpecSchema.checkKeys(node, file: file)
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
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SpecError(file: path, field: "", problem: "cannot read the spec file: \(FileErrorText.reason(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: path, field: "", problem: "the spec file is not UTF-8 text")
        }
        return try loadWithLines(text: text, file: path)
    }

    private static func syntaxError(_ error: YamlError, file: String) -> SpecError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            SpecError(file: file, field: "", line: mark.line, problem: "invalid YAML/JSON: \(problem)")
        default:
            SpecError(file: file, field: "", problem: "invalid YAML/JSON: \(error)")
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
