/// A segment register as the VMSA stores it (AMD APM vol. 2, "VMCB save state"): 16 bytes.
public struct VMCBSegment: Sendable, Hashable {
    public var selector: UInt16
    /// The packed attribute bits (type, S, DPL, P, AVL, L, D/B, G).
    public var attributes: UInt16
    public var limit: UInt32
    public var base: UInt64

    public init(selector: UInt16 = 0, attributes: UInt16 = 0, limit: UInt32 = 0, base: UInt64 = 0) {
        self.selector = selector
        self.attributes = attributes
        self.limit = limit
        self.base = base
    }

    public static let size = 16

    func write(into page: inout [UInt8], at offset: Int) {
        VMSA.store(selector, into: &page, at: offset)
        VMSA.store(attributes, into: &page, at: offset + 2)
        VMSA.store(limit, into: &page, at: offset + 4)
        VMSA.store(base, into: &page, at: offset + 8)
    }

    init(page: [UInt8], at offset: Int) {
        selector = VMSA.load(UInt16.self, from: page, at: offset)
        attributes = VMSA.load(UInt16.self, from: page, at: offset + 2)
        limit = VMSA.load(UInt32.self, from: page, at: offset + 4)
        base = VMSA.load(UInt64.self, from: page, at: offset + 8)
    }
}
