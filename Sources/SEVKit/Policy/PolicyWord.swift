/// What the SEV and the SNP guest policy have in common as text: a word of single-bit named
/// flags plus a minimum firmware version, written either as a number or as a comma list of
/// flag names with one `key=MAJOR.MINOR` item (`api=` for SEV, `abi=` for SNP).
///
/// The two policies differ in width, bit positions and reserved bits, but the grammar of their
/// text is one grammar: one piece of code reads and names both, so `nodbg,api=1.2` and
/// `smt,abi=1.51` are parsed by the same rules and reject the same mistakes with the same words.
protocol PolicyWord {
    associatedtype RawValue: FixedWidthInteger & UnsignedInteger
    var rawValue: RawValue { get set }
    /// Every named bit, in bit order.
    static var flags: [PolicyFlag] { get }
    /// `api` or `abi`: the name of the version item.
    static var versionKey: String { get }
    /// The word a list of names starts from before its flags are set.
    static var namedBase: Self { get }
    /// The minimum firmware version the policy asks for.
    var minimumVersion: (major: UInt8, minor: UInt8) { get set }
    func contains(_ flag: PolicyFlag) -> Bool
    mutating func set(_ flag: PolicyFlag, _ on: Bool)
}

extension PolicyWord {
    /// Reads a number (`0x…` hex or decimal, no wider than the word) or flag names with an
    /// optional version item.
    init(parsingPolicy text: String) throws(PolicyParseError) {
        let trimmed = Substring(text).trimmingASCIISpaces()
        guard !trimmed.isEmpty else { throw .empty }
        self = Self.namedBase
        if let number = try PolicyText.number(trimmed, bits: RawValue.bitWidth) {
            rawValue = RawValue(truncatingIfNeeded: number)
            return
        }
        let versionPrefix = Self.versionKey + "="
        for word in PolicyText.words(trimmed) {
            if word.hasPrefix(versionPrefix) {
                minimumVersion = try PolicyText.version(String(word.dropFirst(versionPrefix.count)))
            } else if let flag = Self.flags.first(where: { $0.name == word }) {
                set(flag, true)
            } else {
                throw .unknownName(word, accepted: Self.flags.map(\.name) + ["\(Self.versionKey)=MAJOR.MINOR"])
            }
        }
    }

    /// The set flags by name, then `key=M.m` when a minimum version is set: the part of the
    /// policy's `names` text both policies write alike.
    var flagAndVersionNames: [String] {
        var parts = Self.flags.filter(contains).map(\.name)
        let version = minimumVersion
        if version.major != 0 || version.minor != 0 { parts.append("\(Self.versionKey)=\(version.major).\(version.minor)") }
        return parts
    }
}
