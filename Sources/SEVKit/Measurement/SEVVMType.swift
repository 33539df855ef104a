/// How KVM creates an SEV or SEV-ES guest, which decides what KVM writes into each VMSA before
/// LAUNCH_UPDATE_VMSA: the one rule every predictor of an SEV-ES launch digest follows (the
/// launch builder writes it into QEMU's argv, `digest`, `vmsa build`, `attest` and the
/// simulator read it from the same place). The sources and the full matrix are in
/// sevhost-spec(5), "VM TYPE".
///
/// - `legacy`: the default VM type (`KVM_X86_DEFAULT_VM`) set up with `KVM_SEV_INIT` or
///   `KVM_SEV_ES_INIT`. KVM copies no FPU state into the VMSA, so the x87 control word and
///   MXCSR stay zero, and (Linux 6.10 and later) SEV_FEATURES is zero.
/// - `init2`: `KVM_X86_SEV_VM` / `KVM_X86_SEV_ES_VM` set up with `KVM_SEV_INIT2` (Linux 6.10
///   and later). KVM copies the vCPU's reset FPU state: FCW 0x37F at 0x410, MXCSR 0x1F80 at
///   0x408; SEV_FEATURES is the `vmsa_features` QEMU passes, zero in every QEMU release so far.
///
/// QEMU chooses with `sev-guest`'s `legacy-vm-type` (9.1 and later); left unset (`auto`) it
/// creates the legacy type, as every older QEMU does. SEV-SNP guests are always `init2`.
public enum SEVVMType: String, Sendable, Hashable, CaseIterable, Codable {
    case legacy
    case init2

    /// What QEMU creates when nothing says otherwise: `legacy-vm-type` unset (`auto`, 9.1 to
    /// 10.1, no option that needs INIT2) or a QEMU without the property (9.0 and older).
    public static let qemuDefault = SEVVMType.legacy

    /// The x87/SSE control words KVM leaves in each VMSA of this VM type.
    public var vmsaFPU: InitialVMSA.FPUState {
        switch self {
        case .legacy: .zero
        case .init2: .reset
        }
    }

    /// SEV_FEATURES of an SEV-ES VMSA: zero for both types with the QEMU releases sevhost
    /// targets (QEMU passes no `vmsa_features` to KVM_SEV_INIT2; KVM_SEV_ES_INIT sets none
    /// since Linux 6.10, and has not by default since 6.8 and 6.6.24: see sevhost-spec(5)).
    public var sevESFeatures: UInt64 { 0 }

    // MARK: - QEMU's `legacy-vm-type`

    /// The `sev-guest` property that selects the VM type.
    public static let qemuProperty = "legacy-vm-type"

    /// The first QEMU release with the property (and the first that can create `init2` VMs).
    public static let firstQEMUWithProperty = QEMUVersion(major: 9, minor: 1)

    /// The value of `legacy-vm-type` that asks QEMU for this type, so the argv states it
    /// instead of leaving it to QEMU's default. nil when `qemu` predates the property: such a
    /// QEMU refuses it and always creates the legacy type. A nil `qemu` (not known) is taken
    /// as a release that has it, so an older one refuses the argv instead of guessing.
    public func qemuPropertyValue(for qemu: QEMUVersion?) throws(SEVVMTypeError) -> String? {
        if let qemu, qemu < Self.firstQEMUWithProperty {
            guard self == .legacy else { throw .needsNewerQEMU(found: qemu) }
            return nil
        }
        return self == .legacy ? "on" : "off"
    }

    /// The type QEMU (9.1 to 10.1) with KVM creates for a `sev-guest` whose `legacy-vm-type`
    /// is `value` (nil when not given): `on` and `auto` give `legacy` (no option of those
    /// releases needs INIT2), `off` gives `init2`. Any other text is refused, as QEMU does.
    public init(qemuPropertyValue value: String?) throws(SEVVMTypeError) {
        switch value {
        case nil, "auto", "on": self = .legacy
        case "off": self = .init2
        case let other?: throw .invalidPropertyValue(other)
        }
    }
}

/// Why a VM type cannot be had or read.
public enum SEVVMTypeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `init2` asked of a QEMU older than 9.1, which can only create the legacy type.
    case needsNewerQEMU(found: QEMUVersion)
    /// A `legacy-vm-type` value other than on, off or auto.
    case invalidPropertyValue(String)

    public var description: String {
        switch self {
        case .needsNewerQEMU(let found):
            "vm-type init2 needs QEMU \(SEVVMType.firstQEMUWithProperty) or later (sev-guest's legacy-vm-type=off); QEMU \(found) always creates the legacy VM type"
        case .invalidPropertyValue(let value):
            "Parameter '\(SEVVMType.qemuProperty)' does not accept value '\(value.prefix(40))'"
        }
    }
}

/// A QEMU release, as far as SEV launches depend on it: `MAJOR.MINOR[.MICRO]`.
public struct QEMUVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var micro: Int

    public init(major: Int, minor: Int, micro: Int = 0) {
        self.major = major
        self.minor = minor
        self.micro = micro
    }

    /// Reads `10.0.2`, `9.1`, or the leading version of `10.0.2 (Debian …)`; nil otherwise.
    public init?(_ text: String) {
        let leading = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let parts = leading.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), let major = parts[0], let minor = parts[1] else { return nil }
        let micro = parts.count == 3 ? parts[2] : 0
        guard let micro else { return nil }
        self.init(major: major, minor: minor, micro: micro)
    }

    public static func < (lhs: QEMUVersion, rhs: QEMUVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.micro) < (rhs.major, rhs.minor, rhs.micro)
    }

    public var description: String { micro == 0 ? "\(major).\(minor)" : "\(major).\(minor).\(micro)" }
}
