import SEVKit

/// Everything a simulated SEV firmware remembers between commands, as `DIR/firmware-state.json`.
///
/// It holds private keys (CEK, PEK, PDH and a self-owned OCA), so the file is written 0600 and
/// never printed. Keys are raw P-384 scalars in hex; certificates their 2084-byte encoding.
struct SimulatedFirmwareState: Codable, Sendable {
    var apiMajor: UInt8 = 1
    var apiMinor: UInt8 = 55
    var build: UInt8 = 21
    var state: SEVPlatformStatus.State = .initialized
    var esInitialized = true
    var externallyOwned = false
    var guestCount: UInt32 = 0
    var chipID: String

    var cekKey: String
    /// Signed by the simulated ASK of `caChain`.
    var cek: String
    /// The simulated AMD CA chain (ASK then ARK, AMD's CA format), public.
    var caChain: String = ""
    /// The firmware's own OCA key while self-owned; nil once an owner's OCA is imported.
    var ocaKey: String?
    var oca: String
    var pekKey: String
    var pek: String
    var pdhKey: String
    var pdh: String

    var snp: SNP
    /// The GHCB-format extended certificate table, hex; nil when none was imported.
    var certificateTable: String?

    struct SNP: Codable, Sendable {
        var state: SNPPlatformStatus.State = .initialized
        var rmpInitialized = true
        var aliasCheckComplete = true
        var buildID: UInt32 = 21
        /// The TCB of the firmware "installed" now.
        var currentTCB: UInt64
        /// The TCB last committed (SNP_COMMIT): the floor for SNP_SET_CONFIG and the reset value.
        var committedTCB: UInt64
        var reportedTCB: UInt64
        var maskChipID = false
        var maskChipKey = false
        /// The chip-unique AES-256 key VLEK hashsticks for this chip are wrapped with (hex);
        /// KDS has it for a real chip, a test's hashstick maker reads it here.
        var vlekWrapKey: String?
        /// The loaded VLEK (the unwrapped hashstick's first 48 bytes, a P-384 scalar), hex.
        var vlek: String?
    }

    enum CodingKeys: String, CodingKey {
        case apiMajor = "api-major", apiMinor = "api-minor", build, state
        case esInitialized = "es-initialized", externallyOwned = "externally-owned", guestCount = "guest-count"
        case chipID = "chip-id", cekKey = "cek-key", cek, caChain = "ca-chain", ocaKey = "oca-key", oca, pekKey = "pek-key", pek
        case pdhKey = "pdh-key", pdh, snp, certificateTable = "certificate-table"
    }
}

extension SimulatedFirmwareState.SNP {
    enum CodingKeys: String, CodingKey {
        case state, rmpInitialized = "rmp-initialized", aliasCheckComplete = "alias-check-complete"
        case buildID = "build-id", currentTCB = "current-tcb", committedTCB = "committed-tcb"
        case reportedTCB = "reported-tcb", maskChipID = "mask-chip-id", maskChipKey = "mask-chip-key"
        case vlekWrapKey = "vlek-wrap-key", vlek
    }
}
