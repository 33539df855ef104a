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
                let field = path.isEmpty ? (key.string ?? "?") : "\(path).\(key.string ?? "?")"
                throw SpecError(
                    file: file, field: field, line: key.mark?.line,
                    problem: "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
            }
        }
    }
}
