import AtomicFiles
import BoundedFiles
import Crypto
import Foundation
import SEVKit

/// A software SEV firmware for the platform-management commands, its state kept in a directory
/// (`--firmware sim:DIR`), so ownership, PEK/PDH, reset and the SNP configuration can be
/// exercised end to end on machines with no AMD secure processor.
///
/// It behaves as the SEV API (55766) and SNP ABI (56860) describe for each command, including
/// the refusals (INVALID_PLATFORM_STATE while guests run, ALREADY_OWNED, INVALID_CERTIFICATE,
/// BAD_SIGNATURE, INVALID_PARAM), with real P-384 keys and signatures, so what it exports
/// verifies with `sevhost verify --sev`. Its CEK is its own, not signed by an AMD ASK.
///
/// Each command loads the state, applies itself and writes the state back atomically; the
/// first command on an empty directory creates a fresh, self-owned, initialized platform.
public struct SimulatedFirmware: SEVFirmware {
    public static let stateFile = "firmware-state.json"

    public let directory: String
    public var location: String { "simulated firmware in \(directory)" }

    public init(directory: String) { self.directory = directory }

    // MARK: SEV

    public func platformStatus() async throws(SEVFirmwareError) -> SEVPlatformStatus {
        let state = try load()
        return SEVPlatformStatus(
            apiMajor: state.apiMajor, apiMinor: state.apiMinor, build: state.build, state: state.state,
            flags: (state.externallyOwned ? 1 : 0) | (state.esInitialized ? 1 << 8 : 0), guestCount: state.guestCount)
    }

    public func identifier() async throws(SEVFirmwareError) -> [UInt8] {
        Hex.decode(try load().chipID) ?? []
    }

    public func pekCSR() async throws(SEVFirmwareError) -> SEVPlatformCertificate {
        let state = try load()
        try require(state.state != .uninitialized, "PEK_CSR")
        var csr = try certificate(state.pek, "PEK")
        csr.signatures = [.empty, .empty]
        return csr
    }

    public func importPEK(_ pek: SEVPlatformCertificate, oca: SEVPlatformCertificate) async throws(SEVFirmwareError) {
        let command = "PEK_CERT_IMPORT"
        var state = try load()
        try require(state.state == .initialized, command)
        if state.externallyOwned { throw SEVFirmwareError(command: command, .firmware(.alreadyOwned)) }
        guard oca.usage == .oca, pek.usage == .pek, SEVCertificateVerifier.verify(oca, signedBy: oca).isValid else {
            throw SEVFirmwareError(command: command, .firmware(.invalidCertificate))
        }
        let current = try certificate(state.pek, "PEK")
        guard pek.publicKeyField == current.publicKeyField else {
            throw SEVFirmwareError(command: command, .firmware(.invalidCertificate))
        }
        guard SEVCertificateVerifier.verify(pek, signedBy: oca).isValid else {
            throw SEVFirmwareError(command: command, .firmware(.badSignature))
        }
        var signed = pek
        try sign(&signed, slot: 1, keyHex: state.cekKey, usage: .cek)
        state.pek = Hex.encode(signed.encoded)
        state.oca = Hex.encode(oca.encoded)
        state.ocaKey = nil
        state.externallyOwned = true
        try newPDH(&state)
        try save(state)
    }

    public func exportPDH() async throws(SEVFirmwareError) -> SEVPlatformChain {
        let state = try load()
        try require(state.state != .uninitialized, "PDH_CERT_EXPORT")
        return SEVPlatformChain(
            pdh: try certificate(state.pdh, "PDH"), pek: try certificate(state.pek, "PEK"),
            oca: try certificate(state.oca, "OCA"), cek: try certificate(state.cek, "CEK"))
    }

    public func generatePEK() async throws(SEVFirmwareError) {
        var state = try load()
        try require(state.state == .initialized, "PEK_GEN")
        try newOwnership(&state)
        try save(state)
    }

    public func generatePDH() async throws(SEVFirmwareError) {
        var state = try load()
        try require(state.state == .initialized, "PDH_GEN")
        try newPDH(&state)
        try save(state)
    }

    public func resetPlatform() async throws(SEVFirmwareError) {
        var state = try load()
        try require(state.state != .working, "PLATFORM_RESET")
        try newOwnership(&state)
        try save(state)
    }

    // MARK: SNP

    public func snpPlatformStatus() async throws(SEVFirmwareError) -> SNPFirmwareStatus {
        let state = try load()
        let snp = state.snp
        return SNPFirmwareStatus(
            apiMajor: state.apiMajor, apiMinor: state.apiMinor, state: snp.state, rmpInitialized: snp.rmpInitialized,
            aliasCheckComplete: snp.aliasCheckComplete, buildID: snp.buildID, maskChipID: snp.maskChipID,
            maskChipKey: snp.maskChipKey, vlekEnabled: snp.vlek != nil, guestCount: state.guestCount,
            currentTCB: snp.currentTCB, reportedTCB: snp.reportedTCB)
    }

    /// Commits the running firmware: the committed TCB becomes the current one, and (this
    /// simulator's reading of the ABI) the reported TCB follows it.
    public func snpCommit() async throws(SEVFirmwareError) {
        var state = try load()
        try requireSNP(state, "SNP_COMMIT")
        state.snp.committedTCB = state.snp.currentTCB
        setReportedTCB(&state, state.snp.currentTCB)
        try save(state)
    }

    /// A reported TCB above the current firmware's in any component is INVALID_PARAM: a host
    /// may under-report its TCB (to keep old VCEKs valid) but never over-report it. A zero
    /// TCB (what `snp config reset` sends) reports the committed TCB again.
    public func snpSetConfig(_ config: SNPConfig) async throws(SEVFirmwareError) {
        var state = try load()
        try requireSNP(state, "SNP_SET_CONFIG")
        if config.reportedTCB == 0 {
            setReportedTCB(&state, state.snp.committedTCB)
            state.snp.maskChipID = config.maskChipID
            state.snp.maskChipKey = config.maskChipKey
            try save(state)
            return
        }
        let current = TCBVersion(raw: state.snp.currentTCB, layout: Self.layout)
        let wanted = TCBVersion(raw: config.reportedTCB, layout: Self.layout)
        guard current.isAtLeast(wanted) else {
            throw SEVFirmwareError(command: "SNP_SET_CONFIG", .firmware(.invalidParam))
        }
        setReportedTCB(&state, config.reportedTCB)
        state.snp.maskChipID = config.maskChipID
        state.snp.maskChipKey = config.maskChipKey
        try save(state)
    }

    /// A loaded VLEK is bound to the TCB its hashstick was made for: when the reported TCB
    /// changes, the firmware deletes it (and signs with the VCEK again).
    func setReportedTCB(_ state: inout SimulatedFirmwareState, _ tcb: UInt64) {
        if tcb != state.snp.reportedTCB { state.snp.vlek = nil }
        state.snp.reportedTCB = tcb
    }

    /// Unwraps the hashstick with this chip's key (AES-256-GCM, the TCB_VERSION as additional
    /// data). This simulator's reading of the ABI's refusals: a hashstick this chip cannot
    /// unwrap (another chip's, or altered) is BAD_SIGNATURE; one made for another TCB than
    /// the reported one is BAD_SVN.
    public func snpVLEKLoad(_ hashstick: VLEKHashstick) async throws(SEVFirmwareError) {
        let command = "SNP_VLEK_LOAD"
        var state = try load()
        try requireSNP(state, command)
        let key = SymmetricKey(data: Hex.decode(try Self.wrapKey(&state)) ?? [])
        let plain: Data
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: hashstick.iv), ciphertext: hashstick.wrapped, tag: hashstick.tag)
            plain = try AES.GCM.open(box, using: key, authenticating: hashstick.tcbBytes)
        } catch {
            throw SEVFirmwareError(command: command, .firmware(.badSignature))
        }
        guard hashstick.tcb == state.snp.reportedTCB else {
            throw SEVFirmwareError(command: command, .firmware(.badSVN))
        }
        state.snp.vlek = Hex.encode(plain.prefix(48))
        try save(state)
    }

    /// This chip's hashstick-wrapping key, made on first use for states written before it existed.
    static func wrapKey(_ state: inout SimulatedFirmwareState) throws(SEVFirmwareError) -> String {
        if let key = state.snp.vlekWrapKey { return key }
        let key = Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        state.snp.vlekWrapKey = key
        return key
    }

    public func snpCertificates() async throws(SEVFirmwareError) -> SNPCertificateTable {
        let state = try load()
        guard let hex = state.certificateTable, let bytes = Hex.decode(hex) else { return SNPCertificateTable(entries: []) }
        do {
            return try SNPCertificateTable(bytes: bytes, name: "certificate table of the \(location)")
        } catch {
            throw SEVFirmwareError(command: "SNP_GET_EXT_CONFIG", .state(reason: error.description))
        }
    }

    public func setSNPCertificates(_ table: SNPCertificateTable) async throws(SEVFirmwareError) {
        var state = try load()
        try requireSNP(state, "SNP_SET_EXT_CONFIG")
        state.certificateTable = table.entries.isEmpty ? nil : Hex.encode(table.encoded)
        try save(state)
    }

    /// The simulated chip is a Milan: its TCB uses the Milan/Genoa layout.
    static let layout = TCBVersion.Layout.milanGenoa

    // MARK: State

    var statePath: String { (directory as NSString).appendingPathComponent(Self.stateFile) }

    func load() throws(SEVFirmwareError) -> SimulatedFirmwareState {
        let data: [UInt8]
        do {
            data = try BoundedFile.read(statePath, .simulatorState)
        } catch {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw SEVFirmwareError(command: nil, .state(reason: "\(directory): not a directory (--firmware sim:DIR holds the simulated firmware's state)"))
            }
            guard error.reason == .missing else { throw SEVFirmwareError(command: nil, .state(reason: error.description)) }
            let fresh = try Self.freshState()
            try save(fresh)
            try writeCAChain(fresh)
            return fresh
        }
        do {
            return try JSONDecoder().decode(SimulatedFirmwareState.self, from: Data(data))
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "\(statePath): not a simulated firmware state: \(Self.describe(error))"))
        }
    }

    func save(_ state: SimulatedFirmwareState) throws(SEVFirmwareError) {
        let data: Data
        do {
            try AtomicFile.createDirectories(directory)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            data = try encoder.encode(state)
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "\(statePath): cannot write the simulated firmware state: \(Self.describe(error))"))
        }
        // Private keys inside: 0600 from the moment the file exists, and all or nothing.
        do {
            try AtomicFile.write([UInt8](data), to: statePath, mode: AtomicFile.secretMode)
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "cannot write the simulated firmware state: \(error)"))
        }
    }

    /// The file holding the simulated AMD CA chain (ASK then ARK), for `export --full --ca` and
    /// `verify --ca`. Only the public chain is kept: the CEK never changes, so nothing needs the
    /// ASK's private key after it signed the CEK once.
    public static let caChainFile = "ask_ark.cert"

    /// `DIR/ask_ark.cert`.
    func writeCAChain(_ state: SimulatedFirmwareState) throws(SEVFirmwareError) {
        let path = (directory as NSString).appendingPathComponent(Self.caChainFile)
        do {
            try AtomicFile.write(Hex.decode(state.caChain) ?? [], to: path)
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "cannot write the simulated AMD CA chain: \(error)"))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, _): return "missing key \"\(key.stringValue)\""
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
            @unknown default: return "\(error)"
            }
        }
        return (error as NSError).localizedDescription
    }

    // MARK: Keys and certificates

    static func freshState() throws(SEVFirmwareError) -> SimulatedFirmwareState {
        let cekKey = P384.Signing.PrivateKey()
        var cek = SEVPlatformCertificate(usage: .cek, ecdsaKey: cekKey.publicKey, apiMajor: 1, apiMinor: 55)
        let ca: AMDCAChain
        do {
            let authority = try SimulatedAMDCA.generate()
            try authority.sign(&cek)
            ca = authority.chain
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "cannot create the simulated AMD CA: \(error)"))
        }
        let committed = TCBVersion(bootloader: 3, tee: 0, snp: 14, microcode: 209).raw
        let current = TCBVersion(bootloader: 3, tee: 0, snp: 22, microcode: 213).raw
        var chipID = [UInt8](repeating: 0, count: 64)
        for index in chipID.indices { chipID[index] = UInt8.random(in: 0...255) }
        var state = SimulatedFirmwareState(
            chipID: Hex.encode(chipID), cekKey: Hex.encode(cekKey.rawRepresentation), cek: Hex.encode(cek.encoded),
            ocaKey: nil, oca: "", pekKey: "", pek: "", pdhKey: "", pdh: "",
            snp: .init(currentTCB: current, committedTCB: committed, reportedTCB: committed))
        state.caChain = Hex.encode(ca.encoded)
        _ = try wrapKey(&state)
        try newOwnership(&state)
        return state
    }

    /// A new self-signed OCA, a PEK it and the CEK sign, and a PDH: a self-owned platform.
    static func newOwnership(_ state: inout SimulatedFirmwareState) throws(SEVFirmwareError) {
        let ocaKey = P384.Signing.PrivateKey()
        let pekKey = P384.Signing.PrivateKey()
        let oca: SEVPlatformCertificate, pek: SEVPlatformCertificate
        do {
            oca = try .selfSignedOCA(key: ocaKey, apiMajor: state.apiMajor, apiMinor: state.apiMinor)
            pek = try .pek(
                key: pekKey.publicKey, oca: ocaKey, cek: P384.Signing.PrivateKey(rawRepresentation: Hex.decode(state.cekKey) ?? []),
                apiMajor: state.apiMajor, apiMinor: state.apiMinor)
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "the simulated firmware's CEK key is unusable"))
        }
        state.ocaKey = Hex.encode(ocaKey.rawRepresentation)
        state.oca = Hex.encode(oca.encoded)
        state.pekKey = Hex.encode(pekKey.rawRepresentation)
        state.pek = Hex.encode(pek.encoded)
        state.externallyOwned = false
        try newPDH(&state)
    }

    static func newPDH(_ state: inout SimulatedFirmwareState) throws(SEVFirmwareError) {
        let pdhKey = P384.KeyAgreement.PrivateKey()
        let pdh: SEVPlatformCertificate
        do {
            pdh = try .pdh(
                key: pdhKey.publicKey, pek: P384.Signing.PrivateKey(rawRepresentation: Hex.decode(state.pekKey) ?? []),
                apiMajor: state.apiMajor, apiMinor: state.apiMinor)
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "the simulated firmware's PEK key is unusable"))
        }
        state.pdhKey = Hex.encode(pdhKey.rawRepresentation)
        state.pdh = Hex.encode(pdh.encoded)
    }

    func newOwnership(_ state: inout SimulatedFirmwareState) throws(SEVFirmwareError) { try Self.newOwnership(&state) }
    func newPDH(_ state: inout SimulatedFirmwareState) throws(SEVFirmwareError) { try Self.newPDH(&state) }

    func sign(_ certificate: inout SEVPlatformCertificate, slot: Int, keyHex: String, usage: SEVKeyUsage) throws(SEVFirmwareError) {
        do {
            try certificate.sign(slot: slot, with: P384.Signing.PrivateKey(rawRepresentation: Hex.decode(keyHex) ?? []), usage: usage)
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: "the simulated firmware's \(usage) key is unusable"))
        }
    }

    func certificate(_ hex: String, _ name: String) throws(SEVFirmwareError) -> SEVPlatformCertificate {
        do {
            return try SEVPlatformCertificate(bytes: Hex.decode(hex) ?? [], name: "\(name) certificate in \(statePath)")
        } catch {
            throw SEVFirmwareError(command: nil, .state(reason: error.description))
        }
    }

    func require(_ condition: Bool, _ command: String) throws(SEVFirmwareError) {
        if !condition { throw SEVFirmwareError(command: command, .firmware(.invalidPlatformState)) }
    }

    func requireSNP(_ state: SimulatedFirmwareState, _ command: String) throws(SEVFirmwareError) {
        if state.snp.state != .initialized { throw SEVFirmwareError(command: command, .firmware(.invalidPlatformState)) }
    }
}
