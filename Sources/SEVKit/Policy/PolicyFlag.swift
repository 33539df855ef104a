/// One named single-bit field of a guest policy.
///
/// Policies are parsed from and printed as these names, so the table of flags is the single
/// source of truth for bit positions, spellings and the one-line meaning `policy explain` prints.
public struct PolicyFlag: Hashable, Sendable {
    /// The lower-case, hyphenated spelling used on the command line and in spec files.
    public let name: String
    /// Bit position in the policy word.
    public let bit: Int
    /// What setting the bit means, in the spec's terms.
    public let meaning: String

    public init(name: String, bit: Int, meaning: String) {
        self.name = name
        self.bit = bit
        self.meaning = meaning
    }

    public var mask: UInt64 { 1 << UInt64(bit) }
}
