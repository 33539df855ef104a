import Crypto

/// The SEV-SNP launch digest as the PSP accumulates it in the guest context (GCTX).
///
/// Each SNP_LAUNCH_UPDATE folds one page into the digest: SHA-384 over the previous digest, the
/// page's contents digest and the PAGE_INFO fields (SNP firmware ABI 56860, "PAGE_INFO"). Page
/// types other than normal and VMSA contribute zeros instead of contents, but their GPAs still
/// count, so every page of every metadata section matters.
public struct SNPLaunchDigest: Sendable {
    /// The running 48-byte digest (LD).
    public private(set) var digest: [UInt8]

    /// SNP_LAUNCH_UPDATE page types.
    public enum PageType: UInt8, Sendable {
        case normal = 1
        case vmsa = 2
        case zero = 3
        case unmeasured = 4
        case secrets = 5
        case cpuid = 6
    }

    public static let digestSize = 48
    public static let pageSize = 4096
    /// The RMP records VMSA pages at GPA 2^64-1, page-aligned and cut to 52 bits.
    public static let vmsaGPA: UInt64 = 0xffff_ffff_f000
    static let pageInfoSize = 0x70
    static let zeros = [UInt8](repeating: 0, count: digestSize)

    /// Starts from zero, or from a digest computed earlier (e.g. over the firmware alone).
    public init(seed: [UInt8]? = nil) {
        if let seed { precondition(seed.count == Self.digestSize, "an SNP launch digest is 48 bytes") }
        digest = seed ?? Self.zeros
    }

    /// Folds one page of `type` at `gpa` whose contents hash to `contents` (48 bytes).
    public mutating func update(type: PageType, gpa: UInt64, contents: [UInt8]) {
        update(type: type, gpa: gpa, contents: contents[...])
    }

    mutating func update(type: PageType, gpa: UInt64, contents: ArraySlice<UInt8>) {
        var info = [UInt8]()
        info.reserveCapacity(Self.pageInfoSize)
        info.append(contentsOf: digest)
        info.append(contentsOf: contents)
        info.append(contentsOf: UInt16(Self.pageInfoSize).littleEndianBytes)
        info.append(type.rawValue)
        info.append(0)  // IMI_PAGE
        info.append(contentsOf: [0, 0, 0, 0])  // VMPL3, VMPL2, VMPL1 permissions, reserved
        info.append(contentsOf: gpa.littleEndianBytes)
        digest = Array(SHA384.hash(data: info))
    }

    /// Measures `data` as consecutive normal pages starting at `gpa` (`data.count` must be a page multiple).
    ///
    /// The pages' own hashes are independent and are computed first, in parallel
    /// (`PageDigests`); only the fold into the digest is sequential.
    public mutating func measureNormalPages(_ data: [UInt8], at gpa: UInt64) {
        precondition(data.count % Self.pageSize == 0, "normal pages are whole pages")
        let pages = data.withUnsafeBytes { PageDigests(of: $0) }
        for page in 0..<pages.count {
            update(type: .normal, gpa: gpa + UInt64(page * Self.pageSize), contents: pages[page])
        }
    }

    /// Measures one VMSA page, given its SHA-384 (computed once for identical AP pages).
    public mutating func measureVMSA(digest contents: [UInt8]) {
        update(type: .vmsa, gpa: Self.vmsaGPA, contents: contents)
    }

    /// Measures `size` bytes (a page multiple) of pages of a contents-less type starting at `gpa`.
    public mutating func measurePages(_ type: PageType, at gpa: UInt64, size: UInt64) {
        precondition(type != .normal && type != .vmsa, "normal and VMSA pages carry contents")
        var offset: UInt64 = 0
        while offset < size {
            update(type: type, gpa: gpa + offset, contents: Self.zeros)
            offset += UInt64(Self.pageSize)
        }
    }
}
