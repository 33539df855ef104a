/// The VM save area (VMSA) of one vCPU of an SEV-ES or SEV-SNP guest: one 4 KiB page.
///
/// Under SEV-ES and SNP the initial register state is encrypted and measured, so a guest owner
/// must rebuild, bit for bit, the page the hypervisor hands to the PSP. This type holds the
/// fields a launch sets; every other byte of the page is zero. Offsets follow the AMD APM vol. 2
/// save-state layout (table B-4) as KVM lays it out for SEV-ES.
public struct VMSA: Sendable, Hashable {
    public var es = VMCBSegment(), cs = VMCBSegment(), ss = VMCBSegment(), ds = VMCBSegment()
    public var fs = VMCBSegment(), gs = VMCBSegment(), gdtr = VMCBSegment(), ldtr = VMCBSegment()
    public var idtr = VMCBSegment(), tr = VMCBSegment()
    public var efer: UInt64 = 0
    public var cr4: UInt64 = 0
    public var cr0: UInt64 = 0
    public var dr7: UInt64 = 0
    public var dr6: UInt64 = 0
    public var rflags: UInt64 = 0
    public var rip: UInt64 = 0
    public var gPAT: UInt64 = 0
    public var rdx: UInt64 = 0
    /// SEV_FEATURES: zero for SEV-ES, the SNP guest features (bit 0 SNPActive, ...) for SNP.
    public var sevFeatures: UInt64 = 0
    public var xcr0: UInt64 = 0
    public var mxcsr: UInt32 = 0
    public var x87FCW: UInt16 = 0

    public init() {}

    public static let pageSize = 4096

    /// Byte offsets of the fields above within the page.
    public enum Offset {
        public static let segments = 0x000  // es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr
        public static let efer = 0x0d0
        public static let cr4 = 0x148
        public static let cr0 = 0x158
        public static let dr7 = 0x160
        public static let dr6 = 0x168
        public static let rflags = 0x170
        public static let rip = 0x178
        public static let gPAT = 0x268
        public static let rdx = 0x310
        public static let sevFeatures = 0x3b0
        public static let xcr0 = 0x3e8
        public static let mxcsr = 0x408
        public static let x87FCW = 0x410
    }

    private var segmentList: [VMCBSegment] { [es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr] }

    /// The 4096-byte page as the PSP measures it.
    public var bytes: [UInt8] {
        var page = [UInt8](repeating: 0, count: Self.pageSize)
        for (index, segment) in segmentList.enumerated() {
            segment.write(into: &page, at: Offset.segments + index * VMCBSegment.size)
        }
        Self.store(efer, into: &page, at: Offset.efer)
        Self.store(cr4, into: &page, at: Offset.cr4)
        Self.store(cr0, into: &page, at: Offset.cr0)
        Self.store(dr7, into: &page, at: Offset.dr7)
        Self.store(dr6, into: &page, at: Offset.dr6)
        Self.store(rflags, into: &page, at: Offset.rflags)
        Self.store(rip, into: &page, at: Offset.rip)
        Self.store(gPAT, into: &page, at: Offset.gPAT)
        Self.store(rdx, into: &page, at: Offset.rdx)
        Self.store(sevFeatures, into: &page, at: Offset.sevFeatures)
        Self.store(xcr0, into: &page, at: Offset.xcr0)
        Self.store(mxcsr, into: &page, at: Offset.mxcsr)
        Self.store(x87FCW, into: &page, at: Offset.x87FCW)
        return page
    }

    /// Reads the modelled fields back from a page (other bytes are ignored; `VMSALayout`
    /// describes every field for display).
    public init(page: [UInt8]) throws(ByteDecodingError) {
        guard page.count == Self.pageSize else {
            throw ByteDecodingError(context: "VMSA", offset: min(page.count, Self.pageSize),
                                    reason: "a VMSA page is \(Self.pageSize) bytes, got \(page.count)")
        }
        func seg(_ i: Int) -> VMCBSegment { VMCBSegment(page: page, at: Offset.segments + i * VMCBSegment.size) }
        es = seg(0); cs = seg(1); ss = seg(2); ds = seg(3); fs = seg(4)
        gs = seg(5); gdtr = seg(6); ldtr = seg(7); idtr = seg(8); tr = seg(9)
        efer = Self.load(UInt64.self, from: page, at: Offset.efer)
        cr4 = Self.load(UInt64.self, from: page, at: Offset.cr4)
        cr0 = Self.load(UInt64.self, from: page, at: Offset.cr0)
        dr7 = Self.load(UInt64.self, from: page, at: Offset.dr7)
        dr6 = Self.load(UInt64.self, from: page, at: Offset.dr6)
        rflags = Self.load(UInt64.self, from: page, at: Offset.rflags)
        rip = Self.load(UInt64.self, from: page, at: Offset.rip)
        gPAT = Self.load(UInt64.self, from: page, at: Offset.gPAT)
        rdx = Self.load(UInt64.self, from: page, at: Offset.rdx)
        sevFeatures = Self.load(UInt64.self, from: page, at: Offset.sevFeatures)
        xcr0 = Self.load(UInt64.self, from: page, at: Offset.xcr0)
        mxcsr = Self.load(UInt32.self, from: page, at: Offset.mxcsr)
        x87FCW = Self.load(UInt16.self, from: page, at: Offset.x87FCW)
    }

    static func store<T: FixedWidthInteger>(_ value: T, into page: inout [UInt8], at offset: Int) {
        for i in 0..<MemoryLayout<T>.size {
            page[offset + i] = UInt8(truncatingIfNeeded: value >> (i * 8))
        }
    }

    static func load<T: FixedWidthInteger>(_: T.Type, from page: [UInt8], at offset: Int) -> T {
        T(littleEndianBytes: page[offset..<(offset + MemoryLayout<T>.size)])
    }
}
