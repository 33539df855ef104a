import SEVKit

/// The outcome of one check in the tree, with its children's outcomes.
public struct CheckResult: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        case pass, fail, skip

        /// The four letters between the brackets.
        public var label: String { rawValue.uppercased() }
    }

    public var id: String
    public var name: String
    public var status: Status
    public var message: String?
    public var category: CheckCategory
    public var description: String
    /// Present on failures only.
    public var hint: String?
    public var children: [CheckResult]

    /// Every result in the tree, depth first, as printed.
    public var flattened: [CheckResult] { [self] + children.flatMap(\.flattened) }
}

/// The whole report: what was probed and every result.
public struct HostReport: Sendable, Equatable {
    public var generation: SEVGeneration
    /// How the generation was chosen: `argument`, or `cpu` (from the product line).
    public var generationSource: String
    public var product: AMDProduct?
    public var signature: CPUSignature
    public var vendor: String
    public var brand: String
    public var hostRoot: String
    public var captured: Bool
    public var results: [CheckResult]

    public var all: [CheckResult] { results.flatMap(\.flattened) }
    public var passed: Int { all.filter { $0.status == .pass }.count }
    public var failed: Int { all.filter { $0.status == .fail }.count }
    public var skipped: Int { all.filter { $0.status == .skip }.count }
    /// True when no selected check failed: the exit status of `sevhost ok`.
    public var ok: Bool { failed == 0 }
}
