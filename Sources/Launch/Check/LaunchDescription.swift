/// What a libvirt domain or a QEMU command line asks of a confidential launch, in one shape, so
/// that one set of rules (`LaunchRules`) checks both and names each finding in the user's own
/// terms (`LaunchDescription.Subject` through `name(of:)`).
public struct LaunchDescription: Sendable, Equatable {
    public enum Format: String, Sendable, Codable { case libvirt, qemu }

    /// How the firmware is mapped: pflash (measured as flash by SEV/SEV-ES, refused by SNP), or
    /// as ROM (libvirt's `<loader type='rom'>`, QEMU's `-bios`).
    public enum FirmwareMapping: String, Sendable, Equatable { case pflash, rom }

    /// The things a finding can be about.
    public enum Subject: Sendable, Equatable {
        case launchSecurity, policy, firmware, variableStore, kernel, kernelHashes, cbitpos, reducedPhysBits
        case vmType, idBlock, idAuth, authorKey, hostData, guestVisibleWorkarounds, dhCert, session
        case guestObject, memoryBackend, irqchip, cpu, property(String)
    }

    public var format: Format
    public var type: ConfidentialType?
    /// The policy as written (`0x30000`, `196608`); nil when not given (QEMU's default applies).
    public var policyText: String?
    public var firmwarePath: String?
    public var firmwareMapping: FirmwareMapping?
    /// How the firmware was given, as written (`-drive if=pflash,…`, `<loader type='pflash'>`).
    public var firmwareSpelling: String?
    /// The pflash variable store (unit 1, `<nvram>`), when there is one.
    public var variableStore: String?
    public var kernel: String?
    public var initrd: String?
    public var append: String?
    public var kernelHashes = false
    public var cbitpos: String?
    public var reducedPhysBits: String?
    /// `legacy-vm-type` as written; libvirt has no such setting.
    public var legacyVMType: String?
    public var idBlock: String?
    public var idAuth: String?
    public var hostData: String?
    public var guestVisibleWorkarounds: String?
    public var authorKeyEnabled = false
    public var dhCert: String?
    public var session: String?
    public var vcpus = 1
    /// `-cpu` model or libvirt `<cpu><model>`; `host` for host-passthrough.
    public var cpuModel: String?
    /// Guest RAM in bytes (`-m`, `<memory>`).
    public var memoryBytes: UInt64?

    // QEMU's machine wiring, which libvirt does for the user.
    /// The confidential-guest object's `id` and its type as written.
    public var guestObjectID: String?
    public var guestObjectSpelling: String?
    /// Whether the object was written as JSON (libvirt's form), which QEMU words its refusals for differently.
    public var guestObjectIsJSON = false
    /// `-machine confidential-guest-support=` (or its old name `memory-encryption=`).
    public var confidentialGuestSupport: String?
    /// `-machine memory-backend=`.
    public var memoryBackend: String?
    /// Memory backends by id: QOM type and size in bytes.
    public var memoryBackends: [String: MemoryBackend] = [:]
    /// `-machine kernel-irqchip=` (QEMU's default is `on`); libvirt: `<ioapic driver=…>`.
    public var kernelIRQChip: String?
    /// Properties of the guest object that its type does not have.
    public var unknownProperties: [String] = []

    public struct MemoryBackend: Sendable, Equatable {
        public var type: String
        public var size: UInt64?

        public init(type: String, size: UInt64?) {
            self.type = type
            self.size = size
        }
    }

    public init(format: Format) { self.format = format }

    /// The name of `subject` in this format, as a finding's location.
    public func name(of subject: Subject) -> String {
        switch format {
        case .libvirt: libvirtName(subject)
        case .qemu: qemuName(subject)
        }
    }

    private var objectName: String { guestObjectSpelling ?? (type == .sevSNP ? "-object sev-snp-guest" : "-object sev-guest") }

    private func libvirtName(_ subject: Subject) -> String {
        // With no SEV type the finding is about the element as a whole (absent, or another type).
        let security = type == nil ? "<launchSecurity>" : "<launchSecurity type='\(type == .sevSNP ? "sev-snp" : "sev")'>"
        switch subject {
        case .launchSecurity, .guestObject, .vmType: return security
        case .policy: return "\(security) <policy>"
        case .firmware: return firmwareSpelling ?? "<os><loader>"
        case .variableStore: return "<os><nvram>"
        case .kernel: return "<os><kernel>"
        case .kernelHashes: return "\(security.dropLast()) kernelHashes='yes'>"
        case .cbitpos: return "\(security) <cbitpos>"
        case .reducedPhysBits: return "\(security) <reducedPhysBits>"
        case .idBlock: return "\(security) <idBlock>"
        case .idAuth: return "\(security) <idAuth>"
        case .authorKey: return "\(security.dropLast()) authorKey='yes'>"
        case .hostData: return "\(security) <hostData>"
        case .guestVisibleWorkarounds: return "\(security) <guestVisibleWorkarounds>"
        case .dhCert: return "\(security) <dhCert>"
        case .session: return "\(security) <session>"
        case .memoryBackend: return "<memoryBacking>"
        case .irqchip: return "<features><ioapic>"
        case .cpu: return "<cpu>"
        case .property(let name): return "\(security) <\(name)>"
        }
    }

    private func qemuName(_ subject: Subject) -> String {
        switch subject {
        case .launchSecurity, .guestObject: return objectName
        case .policy: return "\(objectName),policy="
        case .firmware: return firmwareSpelling ?? "-bios"
        case .variableStore: return "-drive if=pflash,unit=1"
        case .kernel: return "-kernel"
        case .kernelHashes: return "\(objectName),kernel-hashes=on"
        case .cbitpos: return "\(objectName),cbitpos="
        case .reducedPhysBits: return "\(objectName),reduced-phys-bits="
        case .vmType: return "\(objectName),legacy-vm-type="
        case .idBlock: return "\(objectName),id-block="
        case .idAuth: return "\(objectName),id-auth="
        case .authorKey: return "\(objectName),author-key-enabled=on"
        case .hostData: return "\(objectName),host-data="
        case .guestVisibleWorkarounds: return "\(objectName),guest-visible-workarounds="
        case .dhCert: return "\(objectName),dh-cert-file="
        case .session: return "\(objectName),session-file="
        case .memoryBackend: return "-machine memory-backend="
        case .irqchip: return "-machine kernel-irqchip="
        case .cpu: return "-cpu"
        case .property(let name): return "\(objectName),\(name)="
        }
    }
}
