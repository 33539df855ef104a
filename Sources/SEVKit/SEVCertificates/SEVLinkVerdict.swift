/// The outcome of checking one signature link in a legacy SEV chain.
///
/// A failed link says why (no matching slot, wrong key kind, bad signature), because "invalid"
/// alone does not tell an operator whether they hold the wrong file or a forged one.
public enum SEVLinkVerdict: Sendable, Hashable, CustomStringConvertible {
    case valid
    case invalid(reason: String)

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .valid: "valid"
        case .invalid(let reason): "invalid: \(reason)"
        }
    }
}
