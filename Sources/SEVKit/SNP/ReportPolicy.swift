/// What a relying party requires of a report beyond a valid signature and chain.
///
/// Every field is optional except the debug rule, which is on by default: a guest whose policy
/// allows debugging can have its memory read by the host, so accepting one must be explicit.
public struct ReportPolicy: Sendable, Hashable {
    public var measurement: [UInt8]?
    public var reportData: [UInt8]?
    public var hostData: [UInt8]?
    public var idKeyDigest: [UInt8]?
    public var authorKeyDigest: [UInt8]?
    /// Each SPL of REPORTED_TCB must be at least this one's.
    public var minimumTCB: TCBVersion?
    /// Refuse a guest policy with DEBUG (`SNPGuestPolicy.debug`) set.
    public var forbidDebug: Bool = true
    /// Refuse a guest policy with MIGRATE_MA (`SNPGuestPolicy.migrateMA`) set.
    public var forbidMigrationAgent: Bool = false
    public var vmpl: UInt32?
    /// 64 bytes, or 8 for a Turin chip id (compared with the first 8 bytes).
    public var chipID: [UInt8]?
    /// The product the report must come from: the VCEK's productName and the pinned root it
    /// chains to must both be this product.
    public var product: AMDProduct?

    public init() {}
}
