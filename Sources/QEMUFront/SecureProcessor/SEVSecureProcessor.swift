import AtomicFiles
import Foundation
import QMP
import SEVKit
import SEVLaunchSimulator

/// The simulated AMD-SP behind a QEMU started for an SEV or SEV-ES guest (`sev-guest`), or for
/// no confidential guest at all on an SEV host (then only `query-sev-capabilities` is the
/// hardware's: QEMU's other answers are what a real SEV host's QEMU gives without an SEV guest).
///
/// `launch` replays what QEMU 10 and KVM do on an SEV host between QEMU's start and its first
/// QMP greeting (`sev_common_kvm_init`, the flash and kernel-hashes LAUNCH_UPDATE_DATA, and at
/// machine-done LAUNCH_UPDATE_VMSA and LAUNCH_MEASURE), with QEMU's checks and its messages.
/// The replies are those of `target/i386/sev.c` for the same requests, in the same order of
/// checks. Everything measured comes from `QEMUGuestFacts`.
public final class SEVSecureProcessor: SimulatedSecureProcessor, @unchecked Sendable {
    /// The simulated host's C-bit position (CPUID 0x8000001F EBX[5:0]), as on Milan and Genoa:
    /// QEMU refuses a `sev-guest` whose `cbitpos` differs, and reports it in the capabilities.
    public static let hostCBitPosition = 51
    /// QEMU's `reduced-phys-bits` in `query-sev-capabilities`: always 1 (`sev_get_capabilities`).
    static let capabilitiesReducedPhysBits = 1

    public let hardwareCommands = SEVQMPCommand.all

    private let platform: SimulatedPlatform
    private let options: Options
    private var guest: SimulatedGuest?
    private var firmware: OVMFImage?
    private var vmType = SEVVMType.qemuDefault
    private let log: @Sendable (String) -> Void

    public struct Options: Sendable {
        /// Where the secret a guest receives is written (0600), as the guest would find it.
        public var secretOut: String?
        /// A hostile host's knob for tests: `query-sev-launch-measure` answers this blob.
        public var replayedMeasurement: [UInt8]?
        /// Another test knob: `query-sev` reports this firmware build instead of the platform's.
        public var reportedBuildID: UInt8?
        /// Where the VMSA pages LAUNCH_UPDATE_VMSA measured are written (`vmsa<N>.bin`).
        public var dumpVMSA: String?
        /// How QEMU names the accelerator option in its messages (`-accel kvm`).
        public var acceleratorLocation: String?

        public init(
            secretOut: String? = nil, replayedMeasurement: [UInt8]? = nil, reportedBuildID: UInt8? = nil, dumpVMSA: String? = nil,
            acceleratorLocation: String? = nil
        ) {
            self.secretOut = secretOut
            self.replayedMeasurement = replayedMeasurement
            self.reportedBuildID = reportedBuildID
            self.dumpVMSA = dumpVMSA
            self.acceleratorLocation = acceleratorLocation
        }
    }

    public init(platform: SimulatedPlatform, options: Options, log: @escaping @Sendable (String) -> Void) {
        self.platform = platform
        self.options = options
        self.log = log
    }

    /// The guest's launch state, for messages (nil without an SEV guest).
    public var guestState: SimulatedGuestState? { guest?.state }

    public var launchSummary: String? {
        guard let guest else { return nil }
        let kind = SEVGuestPolicy(rawValue: guest.policy).contains(SEVGuestPolicy.encryptedState) ? "SEV-ES" : "SEV"
        return "\(kind) guest (\(vmType.rawValue) VM type) measured, state \(guest.state.rawValue)"
    }

    // MARK: - Launch

    /// The launch of an `sev-guest` whose properties and machine are `facts`, up to LAUNCH_MEASURE.
    public func launch(_ facts: QEMUGuestFacts) throws(QEMUFailure) {
        let properties = facts.objectProperties
        func number(_ name: String) -> UInt64 { properties[name]?.uint64Value ?? 0 }
        func kvmInitFailure(_ lines: [String]) -> QEMUFailure {
            SEVCommonLaunch.kvmInitFailure(lines, acceleratorLocation: options.acceleratorLocation)
        }

        // sev_common_kvm_init
        try SEVCommonLaunch.checkCBit(properties, acceleratorLocation: options.acceleratorLocation)
        let policy = UInt32(truncatingIfNeeded: number("policy"))
        let encryptedState = SEVGuestPolicy(rawValue: policy).contains(SEVGuestPolicy.encryptedState)
        // The VM type KVM creates, from the `legacy-vm-type` QEMU parsed (it refused any value
        // but on, off and auto itself), by the rule every predictor follows.
        let vmType: SEVVMType
        do {
            vmType = try SEVVMType(qemuPropertyValue: properties[SEVVMType.qemuProperty]?.stringValue)
        } catch {
            throw kvmInitFailure(["sev-guest: \(error)"])
        }
        self.vmType = vmType

        // sev_launch_start: the owner's files, read and decoded as QEMU does.
        func readBase64(_ property: String) throws(QEMUFailure) -> [UInt8]? {
            guard let path = properties[property]?.stringValue, !path.isEmpty else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else {
                let reason = "Failed to open file \u{201C}\(path)\u{201D}: \(String(cString: strerror(errno)))"
                throw kvmInitFailure([
                    "SEV: Failed to read '\(path)' (\(reason))", "sev_common_kvm_init: failed to create encryption context",
                ])
            }
            return GLibBase64.decode(String(decoding: data, as: UTF8.self))
        }
        let session = try readBase64("session-file")
        let dhCert = try readBase64("dh-cert-file")
        var guest = SimulatedGuest()
        do {
            let godh = try dhCert.map { bytes throws(SEVFirmwareStatus) in
                do { return try SEVPlatformCertificate(bytes: bytes, name: "GODH") } catch {
                    throw SEVFirmwareStatus.invalidCertificate("the GODH certificate does not decode: \(error)")
                }
            }
            let blob = try session.map { bytes throws(SEVFirmwareStatus) in
                do { return try LaunchSessionBlob(bytes: bytes, name: "session") } catch {
                    throw SEVFirmwareStatus.invalidLength("the session does not decode: \(error)")
                }
            }
            try guest.launchStart(platform: platform, policy: policy, godh: godh, session: blob)
        } catch {
            log("LAUNCH_START refused: \(error.description)")
            throw kvmInitFailure([
                "sev_launch_start: LAUNCH_START ret=1 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'",
                "sev_common_kvm_init: failed to create encryption context",
            ])
        }

        // Machine init: the flash (pflash unit 0, or the -bios image) and the kernel hashes.
        guard let path = facts.firmwarePath, let data = FileManager.default.contents(atPath: path) else {
            throw QEMUFailure(["SEV: cannot read the firmware \(facts.firmwarePath ?? "(none)") that QEMU maps"])
        }
        let bytes = [UInt8](data)
        let image = try? OVMFImage(bytes: bytes)
        firmware = image
        if encryptedState {
            guard let entry = image?.entry(OVMFFooterGUID.sevESResetBlock) else {
                throw QEMUFailure([
                    "SEV information block/Firmware GUID Table block not found in pflash rom",
                    "failed to locate and/or save reset vector",
                ])
            }
            guard entry.firstUInt32 != 0 else {
                throw QEMUFailure(["SEV-ES reset address is zero", "failed to locate and/or save reset vector"])
            }
        }
        do {
            try guest.launchUpdateData(bytes)
        } catch {
            throw QEMUFailure(["sev_launch_update_data: LAUNCH_UPDATE ret=-5 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'"])
        }
        if let table = try SEVCommonLaunch.kernelHashTable(facts, firmware: image) {
            do {
                try guest.launchUpdateData(table.bytes)
            } catch {
                throw QEMUFailure(["sev_launch_update_data: LAUNCH_UPDATE ret=-5 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'"])
            }
        }

        // Machine done: the VMSAs (SEV-ES) and LAUNCH_MEASURE.
        do {
            if encryptedState, let image {
                let pages: [[UInt8]]
                do {
                    pages = try LaunchDigest.sevESVMSAPages(
                        firmware: image, vcpus: facts.vcpus, vcpuSignature: facts.vcpuSignature, vmType: vmType)
                } catch {
                    throw QEMUFailure(["sev_launch_update_vmsa: \(error)"])
                }
                for page in pages { try guest.launchUpdateVMSA(page) }
                if let directory = options.dumpVMSA {
                    for (index, page) in pages.enumerated() {
                        do {
                            try AtomicFile.write(page, to: "\(directory)/vmsa\(index).bin")
                        } catch {
                            throw QEMUFailure(["sevhost-sim: --dump-vmsa \(directory): \(error)"])
                        }
                    }
                }
            }
            _ = try guest.launchMeasure()
        } catch let error as QEMUFailure {
            throw error
        } catch let status as SEVFirmwareStatus {
            throw QEMUFailure(["sev_launch_get_measure: LAUNCH_MEASURE ret=-5 fw_error=\(status.code) '\(QEMUFailure.firmwareErrorText(status.code))'"])
        } catch {
            throw QEMUFailure(["\(error)"])
        }
        self.guest = guest
    }

    // MARK: - Running

    public func guestStarts() -> QEMUFailure? {
        guard var guest, guest.state != .running else { return nil }
        do {
            try guest.launchFinish()
        } catch {
            return QEMUFailure([
                "sev_launch_finish: LAUNCH_FINISH ret=-5 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'",
            ])
        }
        self.guest = guest
        log("guest running (LAUNCH_FINISH done)")
        return nil
    }

    // MARK: - QMP

    /// QEMU 10's replies on a host without SEV (its `sev.c` and `sev-stub`), which are the cue
    /// that the request reached the point where the hardware would answer.
    static func isRefusalWithoutHardware(_ command: String, _ qemu: QMPOutcome) -> Bool {
        switch (command, qemu) {
        case (SEVQMPCommand.querySEV, .success(let value)):
            return value["enabled"]?.boolValue == false
        case (SEVQMPCommand.launchMeasure, .failure("GenericError", "SEV launch measurement is not available")),
             (SEVQMPCommand.attestationReport, .failure("GenericError", "SEV is not enabled")),
             (SEVQMPCommand.injectLaunchSecret, .failure("GenericError", "SEV not enabled for guest")),
             (SEVQMPCommand.capabilities, .failure("GenericError", "KVM not enabled")),
             (SEVQMPCommand.capabilities, .failure("GenericError", "SEV is not enabled in KVM")):
            return true
        case (SEVQMPCommand.capabilities, .failure("GenericError", let description)):
            return description.hasPrefix("SEV: Failed to open /dev/sev")
        default:
            return false
        }
    }

    public func companionCommands(for request: HardwareRequest) -> [QEMUJSON] {
        guard request.command == SEVQMPCommand.injectLaunchSecret, guest != nil,
              let address = secretAddress(request), let secret = request.arguments["secret"]?.stringValue
        else { return [] }
        let size = UInt64(GLibBase64.decode(secret).count)
        guard size > 0 else { return [] }
        let last = address &+ (size - 1)
        return [address, last].map { gpa in
            .object([
                ("execute", .string("human-monitor-command")),
                ("arguments", .object([("command-line", .string("gpa2hva 0x" + String(gpa, radix: 16)))])),
            ])
        }
    }

    public func answer(_ request: HardwareRequest, qemu: QMPOutcome, companions: [QMPOutcome]) -> SecureProcessorAnswer? {
        guard Self.isRefusalWithoutHardware(request.command, qemu) else { return nil }
        switch request.command {
        case SEVQMPCommand.capabilities:
            return .success(.object([
                ("pdh", .string(Data(platform.chain.pdh.encoded).base64EncodedString())),
                ("cert-chain", .string(Data(platform.exportedCertificateChain).base64EncodedString())),
                ("cpu0-id", .string(Data(platform.chipID).base64EncodedString())),
                ("cbitpos", .int(Int64(Self.hostCBitPosition))),
                ("reduced-phys-bits", .int(Int64(Self.capabilitiesReducedPhysBits))),
            ]))
        default:
            break
        }
        guard let guest else { return nil }
        switch request.command {
        case SEVQMPCommand.querySEV:
            return .success(.object([
                ("enabled", .bool(true)),
                ("api-major", .int(Int64(SimulatedPlatform.apiMajor))),
                ("api-minor", .int(Int64(SimulatedPlatform.apiMinor))),
                ("build-id", .int(Int64(options.reportedBuildID ?? SimulatedPlatform.buildID))),
                ("state", .string(guest.state.rawValue)),
                ("sev-type", .string("sev")),
                ("policy", .int(Int64(guest.policy))),
                ("handle", .int(Int64(guest.handle))),
            ]))
        case SEVQMPCommand.launchMeasure:
            guard let blob = options.replayedMeasurement ?? guest.measurement?.encoded else { return nil }
            return .success(.object([("data", .string(Data(blob).base64EncodedString()))]))
        case SEVQMPCommand.attestationReport:
            return attestationReport(request, guest: guest)
        case SEVQMPCommand.injectLaunchSecret:
            return injectSecret(request, guest: guest, companions: companions)
        default:
            return nil
        }
    }

    /// `sev_get_attestation_report`.
    private func attestationReport(_ request: HardwareRequest, guest: SimulatedGuest) -> SecureProcessorAnswer {
        let mnonce = GLibBase64.decode(request.arguments["mnonce"]?.stringValue ?? "")
        guard mnonce.count == 16 else { return .failure("SEV: mnonce must be 16 bytes (got \(mnonce.count))") }
        do {
            let report = try guest.attestation(mnonce: mnonce, platform: platform)
            return .success(.object([("data", .string(Data(report.encoded).base64EncodedString()))]))
        } catch {
            return .failure(
                "SEV: Failed to query the attestation report length ret=-5 fw_err=\(error.code) (\(QEMUFailure.firmwareErrorText(error.code)))")
        }
    }

    /// Where QEMU puts the secret: `gpa`, else the OVMF footer table's secret area (its base
    /// even when zero, as QEMU takes it); nil when neither (QEMU's refusal follows).
    private func secretAddress(_ request: HardwareRequest) -> UInt64? {
        // QAPI's uint64 takes a negative integer too, as its two's complement.
        if let gpa = request.arguments["gpa"] { return gpa.uint64Value ?? gpa.int64Value.map { UInt64(bitPattern: $0) } }
        guard let entry = firmware?.entry(OVMFFooterGUID.sevSecretBlock) else { return nil }
        return UInt64(entry.firstUInt32 ?? 0)
    }

    /// `qmp_sev_inject_launch_secret` and `sev_inject_launch_secret`.
    private func injectSecret(_ request: HardwareRequest, guest: SimulatedGuest, companions: [QMPOutcome]) -> SecureProcessorAnswer {
        guard let address = secretAddress(request) else {
            return .failure("SEV: no secret area found in OVMF, gpa must be specified.")
        }
        guard guest.state == .launchSecret else {
            return .failure("SEV: Not in correct state. (LSECRET) \(String(Self.qemuStateNumber(guest.state), radix: 16))")
        }
        let header = GLibBase64.decode(request.arguments["packet-header"]?.stringValue ?? "")
        guard !header.isEmpty else { return .failure("SEV: Failed to decode sequence header") }
        let secret = GLibBase64.decode(request.arguments["secret"]?.stringValue ?? "")
        guard !secret.isEmpty else { return .failure("SEV: Failed to decode data") }
        if let refusal = Self.guestAddressRefusal(address: address, size: secret.count, companions: companions) {
            return .failure("SEV: Failed to calculate guest address: " + refusal)
        }
        let plaintext: [UInt8]
        do {
            plaintext = try guest.launchSecret(header: header, payload: secret)
        } catch {
            log("LAUNCH_SECRET refused: \(error.description)")
            return .failure("SEV: failed to inject secret ret=-5 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'")
        }
        if let secretOut = options.secretOut {
            do {
                try AtomicFile.write(plaintext, to: secretOut, mode: AtomicFile.secretMode)
            } catch {
                log("--secret-out: \(error)")
            }
        }
        log("LAUNCH_SECRET: \(plaintext.count) bytes of secret at guest physical address 0x\(String(address, radix: 16))")
        return .success(.object([]))
    }

    /// QEMU's `gpa2hva(addr, size)` from what HMP's `gpa2hva` said for the first and the last
    /// byte: QEMU's own message when the first is not guest RAM; "exceeded" when the last byte
    /// is not in the same RAM, contiguously.
    static func guestAddressRefusal(address: UInt64, size: Int, companions: [QMPOutcome]) -> String? {
        func mapping(_ outcome: QMPOutcome?) -> (name: String, hva: UInt64)? {
            guard case .success(let value) = outcome, let text = value.stringValue,
                  text.hasPrefix("Host virtual address for "),
                  let open = text.firstIndex(of: "("), let close = text.firstIndex(of: ")"),
                  let isRange = text.range(of: " is 0x")
            else { return nil }
            let hex = text[isRange.upperBound...].prefix { $0.isHexDigit }
            return UInt64(hex, radix: 16).map { (String(text[text.index(after: open)..<close]), $0) }
        }
        let first = companions.first
        guard let start = mapping(first) else {
            if case .success(let value) = first, let text = value.stringValue {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return "No memory is mapped at address 0x\(String(address, radix: 16))"
        }
        guard size > 1 else { return nil }
        guard let end = mapping(companions.dropFirst().first), end.name == start.name, end.hva &- start.hva == UInt64(size - 1) else {
            return "Size of memory region at 0x\(String(address, radix: 16)) exceeded."
        }
        return nil
    }

    /// QAPI `SevState`'s numbering, which QEMU prints in hex in its state refusal.
    static func qemuStateNumber(_ state: SimulatedGuestState) -> Int {
        switch state {
        case .uninit: 0
        case .launchUpdate: 1
        case .launchSecret: 2
        case .running: 3
        }
    }
}
