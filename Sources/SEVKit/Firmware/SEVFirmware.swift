/// The platform-management commands of the AMD secure processor: what `sevctl` and `snphost`
/// issue over `/dev/sev`.
///
/// Two implementations stand behind it, `LinuxSEVFirmware` (the kernel device) and the
/// simulated firmware of `SEVPlatformSimulator` (state in a directory), so every command the
/// CLI offers runs in tests on machines without SEV hardware. Commands are `async` because they
/// are I/O on a device that can take milliseconds per command; errors are typed so the CLI
/// prints one sentence naming the command and the firmware status.
public protocol SEVFirmware: Sendable {
    /// What the commands go to, for messages: `/dev/sev`, `simulated firmware in DIR`.
    var location: String { get }

    /// PLATFORM_STATUS: API version, state, owner and SEV-ES flags, guest count.
    func platformStatus() async throws(SEVFirmwareError) -> SEVPlatformStatus
    /// GET_ID (the kernel's GET_ID2): the chip identifier(s), 64 bytes per socket.
    func identifier() async throws(SEVFirmwareError) -> [UInt8]
    /// PEK_CSR: the PEK as an unsigned certificate, for an owner's OCA to sign.
    func pekCSR() async throws(SEVFirmwareError) -> SEVPlatformCertificate
    /// PEK_CERT_IMPORT: takes ownership, installing the OCA-signed PEK and the OCA.
    func importPEK(_ pek: SEVPlatformCertificate, oca: SEVPlatformCertificate) async throws(SEVFirmwareError)
    /// PDH_CERT_EXPORT: the platform chain PDH, PEK, OCA, CEK.
    func exportPDH() async throws(SEVFirmwareError) -> SEVPlatformChain
    /// PEK_GEN: a new PEK (and so a new PDH); the platform becomes self-owned.
    func generatePEK() async throws(SEVFirmwareError)
    /// PDH_GEN: a new PDH signed by the current PEK.
    func generatePDH() async throws(SEVFirmwareError)
    /// FACTORY_RESET (PLATFORM_RESET): new OCA, PEK and PDH; the platform becomes self-owned.
    func resetPlatform() async throws(SEVFirmwareError)

    /// SNP_PLATFORM_STATUS.
    func snpPlatformStatus() async throws(SEVFirmwareError) -> SNPFirmwareStatus
    /// SNP_COMMIT: commits the running firmware, raising the committed TCB to the current one.
    func snpCommit() async throws(SEVFirmwareError)
    /// SNP_SET_CONFIG: the TCB put into attestation reports and the chip id/key masks.
    func snpSetConfig(_ config: SNPConfig) async throws(SEVFirmwareError)
    /// SNP_VLEK_LOAD: installs a wrapped VLEK hashstick; reports are then signed with the VLEK.
    func snpVLEKLoad(_ hashstick: VLEKHashstick) async throws(SEVFirmwareError)
    /// The extended certificate table handed to guests (GHCB format; see `SNPCertificateTable`).
    func snpCertificates() async throws(SEVFirmwareError) -> SNPCertificateTable
    /// Replaces the extended certificate table.
    func setSNPCertificates(_ table: SNPCertificateTable) async throws(SEVFirmwareError)
}

/// What SNP_PLATFORM_STATUS answers (SNP ABI 56860, "SNP_PLATFORM_STATUS"), all of it.
///
/// `SNPPlatformStatus` (what `sevhost ok` and captured hosts use) is the subset the checks
/// need; `summary` derives it so the two never disagree.
public struct SNPFirmwareStatus: Sendable, Equatable, Codable {
    public var apiMajor: UInt8
    public var apiMinor: UInt8
    public var state: SNPPlatformStatus.State
    /// Flags byte bit 0.
    public var rmpInitialized: Bool
    /// Flags byte bit 1 (ABI 1.55 and later; the kernel header calls it reserved).
    public var aliasCheckComplete: Bool
    public var buildID: UInt32
    public var maskChipID: Bool
    public var maskChipKey: Bool
    public var vlekEnabled: Bool
    public var guestCount: UInt32
    /// The TCB of the firmware now running.
    public var currentTCB: UInt64
    /// The TCB put into attestation reports.
    public var reportedTCB: UInt64

    public init(
        apiMajor: UInt8, apiMinor: UInt8, state: SNPPlatformStatus.State, rmpInitialized: Bool,
        aliasCheckComplete: Bool, buildID: UInt32, maskChipID: Bool, maskChipKey: Bool, vlekEnabled: Bool,
        guestCount: UInt32, currentTCB: UInt64, reportedTCB: UInt64
    ) {
        self.apiMajor = apiMajor
        self.apiMinor = apiMinor
        self.state = state
        self.rmpInitialized = rmpInitialized
        self.aliasCheckComplete = aliasCheckComplete
        self.buildID = buildID
        self.maskChipID = maskChipID
        self.maskChipKey = maskChipKey
        self.vlekEnabled = vlekEnabled
        self.guestCount = guestCount
        self.currentTCB = currentTCB
        self.reportedTCB = reportedTCB
    }

    public var summary: SNPPlatformStatus {
        SNPPlatformStatus(
            state: state, rmpInitialized: rmpInitialized, aliasCheckComplete: aliasCheckComplete,
            platformTCB: currentTCB, reportedTCB: reportedTCB)
    }
}

/// SNP_SET_CONFIG's input: the reported TCB and the masks of the chip id and chip key.
public struct SNPConfig: Sendable, Equatable, Codable {
    public var reportedTCB: UInt64
    /// Zeroes CHIP_ID in attestation reports.
    public var maskChipID: Bool
    /// Signs attestation reports with a zero key instead of the VCEK (for tests only).
    public var maskChipKey: Bool

    public init(reportedTCB: UInt64, maskChipID: Bool = false, maskChipKey: Bool = false) {
        self.reportedTCB = reportedTCB
        self.maskChipID = maskChipID
        self.maskChipKey = maskChipKey
    }
}
