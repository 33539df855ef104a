/// What a CPU is, for SEV purposes: its EPYC product line when sevhost's table knows the family
/// and model, and otherwise what CPUID itself says it implements.
///
/// A CPU missing from a tool's table must not make checks silently skip or TCB fields shift
/// (snphost#125, sevctl#203): the generation then comes from CPUID 0x8000001F EAX (bit 1 SEV,
/// bit 3 SEV-ES, bit 4 SEV-SNP), the TCB layout from the family (1Ah and later carry Turin's FMC
/// byte, 19h Milan's layout), and `note` says that both were inferred.
public struct ProcessorIdentification: Sendable, Hashable {
    public var family: UInt32
    public var model: UInt32
    /// The product line, when the table knows it.
    public var product: AMDProduct?
    /// The newest generation the CPU implements; nil when it implements none.
    public var generation: SEVGeneration?
    /// How SNP TCB versions of this CPU are packed.
    public var tcbLayout: TCBVersion.Layout
    /// Set when `product` is unknown: what was inferred, and from what.
    public var note: String?

    /// - Parameter memoryEncryptionEAX: CPUID 0x8000001F EAX.
    public init(family: UInt32, model: UInt32, memoryEncryptionEAX eax: UInt32) {
        self.family = family
        self.model = model
        let fromCPUID: SEVGeneration? = eax & 1 << 4 != 0 ? .snp : eax & 1 << 3 != 0 ? .es : eax & 1 << 1 != 0 ? .sev : nil
        if let known = AMDProduct(family: family, model: model) {
            product = known
            generation = known.newestGeneration
            tcbLayout = TCBVersion.Layout(product: known)
            note = nil
            return
        }
        product = nil
        generation = fromCPUID
        tcbLayout = family >= 0x1a ? .turin : .milanGenoa
        let name = "family 0x\(String(family, radix: 16)) model 0x\(String(model, radix: 16))"
        guard let fromCPUID else {
            note = "\(name) is not in sevhost's table of EPYC products and CPUID 0x8000001F EAX shows no SEV"
            return
        }
        let layout = tcbLayout == .turin ? "Turin's (FMC byte 0, as family 0x1a)" : "Milan's and Genoa's"
        note = "\(name) is not in sevhost's table of EPYC products: \(fromCPUID.displayName) from CPUID 0x8000001F EAX 0x\(String(eax, radix: 16)); TCB versions read with \(layout) layout; the KDS product name is unknown"
    }

    /// `Milan (SEV-SNP)`, or the generation with `note` for a CPU the table does not know.
    public var summary: String {
        if let product, let generation { return "\(product.rawValue) (\(generation.displayName))" }
        if let generation { return "unknown EPYC (\(generation.displayName)): \(note ?? "")" }
        return note ?? "no SEV"
    }
}
