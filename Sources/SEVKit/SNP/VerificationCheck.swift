/// One named check of a verification, with its outcome.
///
/// A relying party must see *which* property failed (a bad chain, a stale TCB, a debug guest),
/// so verifications return every check rather than the first error.
public struct VerificationCheck: Hashable, Sendable, Codable {
    /// Stable identifier (`ark-pinned`, `report-signature`, `measurement`), used by scripts.
    public var name: String
    public var passed: Bool
    /// One line: what was compared, or why it failed.
    public var detail: String

    /// `detail` quotes certificates and reports (names, product strings from extensions), so
    /// it is made one safe line here, for every printer of checks.
    public init(_ name: String, _ passed: Bool, _ detail: String) {
        self.name = name
        self.passed = passed
        self.detail = TerminalText.line(detail)
    }
}

extension Array where Element == VerificationCheck {
    public var allPassed: Bool { allSatisfy(\.passed) }
    public var failures: [VerificationCheck] { filter { !$0.passed } }
}
