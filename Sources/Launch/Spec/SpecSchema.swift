import SEVKit
import Yams

/// The keys each mapping of a spec may hold, taken from the Codable types' own keys so the
/// check and the decoder cannot drift apart.
enum SpecSchema {
    static func checkKeys(_ root: Node, file: String) throws(SpecError) {
        guard root.mapping != nil else {
            throw SpecError(file: file, field: "", line: root.mark?.line, problem: "expected a mapping of spec keys at the top level")
        }
        try check(root, allowed: keys(VMSpec.CodingKeys.self), path: "", file: file)
        guard let mapping = root.mapping else { return }
        let nested: [(String, [String])] = [
            ("firmware", keys(FirmwareSpec.CodingKeys.self)),
            ("kernel", keys(KernelSpec.CodingKeys.self)),
            ("confidential", keys(ConfidentialSpec.CodingKeys.self)),
        ]
        for (key, allowed) in nested {
            if let child = mapping[key] { try check(child, allowed: allowed, path: key, file: file) }
        }
        let lists: [(String, [String])] = [
            ("disks", keys(DiskSpec.CodingKeys.self)),
            ("nics", keys(NICSpec.CodingKeys.self)),
        ]
        for (key, allowed) in lists {
            guard let sequence = mapping[key]?.sequence else { continue }
            for (index, item) in sequence.enumerated() {
                try check(item, allowed: allowed, path: "\(key)[\(index)]", file: file)
            }
        }
    }

    private static func keys<K: CodingKey & CaseIterable>(_: K.Type) -> [String] {
        K.allCases.map(\.stringValue)
    }

    private static func check(_ node: Node, allowed: [String], path: String, file: String) throws(SpecError) {
        guard let mapping = node.mapping else { return }  // type errors are the decoder's to report
        for (key, _) in mapping {
            guard let name = key.string, allowed.contains(name) else {
                let shown = TerminalText.line((key.string ?? "?").prefix(64))
                let field = path.isEmpty ? shown : "\(path).\(shown)"
                let problem = key.string == "<<"
                    ? "merge keys are not accepted in a spec; write the keys out"
                    : "unknown key (expected one of: \(allowed.joined(separator: ", ")))"
                throw SpecError(file: file, field: field, line: key.mark?.line, problem: problem)
            }
        }
    }

    /// Every scalar of the spec is text a person can read: a control character (an escape
    /// sequence, a NUL, a newline, even in `kernel.append`, which QEMU passes as one line) is
    /// refused where it is, never carried into QEMU's argv, libvirt's XML or a terminal.
    static func checkText(_ root: Node, file: String) throws(SpecError) {
        func walk(_ node: Node, path: String) throws(SpecError) {
            if let mapping = node.mapping {
                for (key, value) in mapping {
                    let name = TerminalText.line((key.string ?? "?").prefix(64))
                    let child = path.isEmpty ? name : "\(path).\(name)"
                    try walk(key, path: child)
                    try walk(value, path: child)
                }
            } else if let sequence = node.sequence {
                for (index, item) in sequence.enumerated() { try walk(item, path: "\(path)[\(index)]") }
            } else if let text = node.string, let bad = text.unicodeScalars.first(where: TerminalText.needsEscape) {
                let problem = bad == "\n"
                    ? "contains a newline; a value is one line (a block scalar keeps its last newline unless written |- or >-)"
                    : "contains the control character U+\(String(bad.value, radix: 16, uppercase: true)); a spec holds printable text only"
                throw SpecError(file: file, field: path, line: node.mark?.line, problem: problem)
            }
        }
        try walk(root, path: "")
    }
}
