import Yams

/// Where each field of a spec file is, so that refusals found after decoding (a policy without
/// bit 17, an ID block of the wrong size) can still point at a line: `vm.yaml:14: …`.
public struct SpecLines: Equatable, Sendable {
    /// Dotted field path (`confidential.policy`, `disks[1].path`) → 1-based line of its key.
    public private(set) var lines: [String: Int] = [:]

    public init() {}

    init(root: Node) {
        record(root, path: "")
    }

    /// The line of `field`, or of its nearest enclosing field that the file has.
    public func line(of field: String) -> Int? {
        var path = field
        while !path.isEmpty {
            if let line = lines[path] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return nil
    }

    private mutating func record(_ node: Node, path: String) {
        if let mapping = node.mapping {
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                let child = path.isEmpty ? name : "\(path).\(name)"
                if let line = key.mark?.line { lines[child] = line }
                record(value, path: child)
            }
        } else if let sequence = node.sequence {
            for (index, item) in sequence.enumerated() {
                let child = "\(path)[\(index)]"
                if let line = item.mark?.line { lines[child] = line }
                record(item, path: child)
            }
        }
    }
}
