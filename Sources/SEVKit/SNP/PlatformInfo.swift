/// PLATFORM_INFO of an attestation report (SNP ABI 56860, table "ATTESTATION_REPORT"): what the
/// platform had enabled when the report was made.
public struct PlatformInfo: Hashable, Sendable {
    public var raw: UInt64
    public init(raw: UInt64) { self.raw = raw }

    private func bit(_ n: Int) -> Bool { raw & (1 << UInt64(n)) != 0 }

    public var smtEnabled: Bool { bit(0) }
    public var tsmeEnabled: Bool { bit(1) }
    public var eccEnabled: Bool { bit(2) }
    public var raplDisabled: Bool { bit(3) }
    public var ciphertextHidingEnabled: Bool { bit(4) }
    public var aliasCheckComplete: Bool { bit(5) }
    /// TIO_EN: SEV-TIO (trusted I/O) is enabled (bit 7; bit 6 is reserved).
    public var tioEnabled: Bool { bit(7) }

    /// Named bits, in bit order, for display.
    public var flags: [(name: String, set: Bool)] {
        [("smt_en", smtEnabled), ("tsme_en", tsmeEnabled), ("ecc_en", eccEnabled),
         ("rapl_dis", raplDisabled), ("ciphertext_hiding_en", ciphertextHidingEnabled),
         ("alias_check_complete", aliasCheckComplete), ("tio_en", tioEnabled)]
    }
}

/// The key information word at 0x48: which key signed the report and what it covers.
public struct ReportKeyInfo: Hashable, Sendable {
    /// Which endorsement key signed the report (bits 4:2).
    public enum SigningKey: UInt8, Sendable {
        case vcek = 0
        case vlek = 1
        case none = 7
    }

    public var raw: UInt32
    public init(raw: UInt32) { self.raw = raw }

    /// AUTHOR_KEY_EN: the author key digest field is meaningful.
    public var authorKeyEnabled: Bool { raw & 1 != 0 }
    /// MASK_CHIP_KEY: the chip id and signature are zeroed.
    public var maskChipKey: Bool { raw & 2 != 0 }
    /// The raw 3-bit signing-key selector.
    public var signingKeyValue: UInt8 { UInt8((raw >> 2) & 0x7) }
    /// nil for a reserved selector value.
    public var signingKey: SigningKey? { SigningKey(rawValue: signingKeyValue) }
}
