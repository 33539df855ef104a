/// A spec file that cannot be used, located as precisely as the input allows.
///
/// Printed as one line, `FILE:LINE: FIELD: problem`, so that an editor can jump to it and a user
/// can see which key is wrong without reading a Swift decoding dump.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The spec file, or `<spec>` when the text did not come from a file.
    public var file: String
    /// Dotted path of the field (`confidential.policy`, `disks[1].path`); empty for the document.
    public var field: String
    /// 1-based line in the file, when the YAML parser gives one.
    public var line: Int?
    public var problem: String

    public init(file: String, field: String, line: Int? = nil, problem: String) {
        self.file = file
        self.field = field
        self.line = line
        self.problem = problem
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !field.isEmpty { text += field + ": " }
        return text + problem
    }
}
