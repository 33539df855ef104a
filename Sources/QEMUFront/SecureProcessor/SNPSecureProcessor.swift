import Foundation
import QMP
import SEVKit
import SEVLaunchSimulator

/// The simulated AMD-SP behind a QEMU started for an SEV-SNP guest (`sev-snp-guest`).
///
/// `launch` replays what QEMU 10 and KVM do on an SNP host at machine creation
/// (`sev_common_kvm_init`: KVM_SEV_INIT2, SNP_LAUNCH_START with the firmware's policy checks;
/// the kernel hashes built from the `-kernel/-initrd/-append` files), and `guestStarts` what
/// `sev_snp_launch_finish` does when the guest is first set running: SNP_LAUNCH_UPDATE of the
/// `-bios` image, of OVMF's metadata sections and of every VMSA, then SNP_LAUNCH_FINISH with
/// the ID block checks. A refusal ends QEMU the way the real one ends, with its words
/// (`SNP_LAUNCH_FINISH ret=-5 fw_error=11 'Bad measurement'`). Everything measured comes from
/// `QEMUGuestFacts`, what the real QEMU made of the argv.
///
/// The five SEV commands get QEMU 10's answers for an SNP guest; one more command, which no
/// QEMU has, stands for the guest asking its AMD-SP for a report (MSG_REPORT_REQ through
/// /dev/sev-guest): `x-sevhost-snp-guest-report` with `report-data` (base64 of 64 bytes) and
/// `vmpl`, answered with the report and the ARK, ASK and VCEK (what an extended report request
/// returns).
public final class SNPSecureProcessor: SimulatedSecureProcessor, @unchecked Sendable {
    public static let guestReportCommand = "x-sevhost-snp-guest-report"

    public let hardwareCommands: Set<String> = SEVQMPCommand.all.union([guestReportCommand])

    private let platform: SimulatedSNPPlatform
    /// The same host's SEV side: `query-sev-capabilities` is the SEV platform's.
    private let sev: SEVSecureProcessor
    private let acceleratorLocation: String?
    private let log: @Sendable (String) -> Void
    private var guest: SimulatedSNPGuest?
    private var configuration: SimulatedSNPLaunchConfiguration?

    public init(platform: SimulatedSNPPlatform, sev: SEVSecureProcessor, acceleratorLocation: String?, log: @escaping @Sendable (String) -> Void) {
        self.platform = platform
        self.sev = sev
        self.acceleratorLocation = acceleratorLocation
        self.log = log
    }

    public var launchSummary: String? {
        guard let guest else { return nil }
        return "SEV-SNP guest, policy \(guest.policy.hex): SNP_LAUNCH_START done, the LAUNCH_UPDATEs and SNP_LAUNCH_FINISH when it first runs"
    }

    // MARK: - Launch

    public func launch(_ facts: QEMUGuestFacts) throws(QEMUFailure) {
        let properties = facts.objectProperties
        func number(_ name: String) -> UInt64 { properties[name]?.uint64Value ?? 0 }
        func string(_ name: String) -> String? {
            guard let text = properties[name]?.stringValue, !text.isEmpty else { return nil }
            return text
        }
        try SEVCommonLaunch.checkCBit(properties, acceleratorLocation: acceleratorLocation)
        var guest = SimulatedSNPGuest()
        do {
            try guest.launchStart(policy: number("policy"), platform: platform)
        } catch {
            log("SNP_LAUNCH_START refused: \(error.description)")
            throw SEVCommonLaunch.kvmInitFailure([
                "sev_snp_launch_start: SNP_LAUNCH_START ret=-5 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'",
                "sev_common_kvm_init: failed to create encryption context",
            ], acceleratorLocation: acceleratorLocation)
        }
        guard let path = facts.firmwarePath, let data = FileManager.default.contents(atPath: path) else {
            throw QEMUFailure(["SEV: cannot read the firmware \(facts.firmwarePath ?? "(none)") that QEMU maps"])
        }
        let firmware: OVMFImage
        do {
            firmware = try OVMFImage(bytes: [UInt8](data))
        } catch {
            throw QEMUFailure(["sev_snp_launch_finish: Failed to locate SEV metadata header"])
        }
        let table = try SEVCommonLaunch.kernelHashTable(facts, firmware: firmware)
        func base64(_ name: String) -> [UInt8]? { string(name).map { GLibBase64.decode($0) } }
        configuration = SimulatedSNPLaunchConfiguration(
            firmware: firmware, hashTable: table, vcpus: facts.vcpus, vcpuSignature: facts.vcpuSignature,
            policy: number("policy"),
            finish: .init(
                idBlock: base64("id-block"), idAuth: base64("id-auth"),
                authorKeyEnabled: properties["author-key-enabled"]?.boolValue == true, hostData: base64("host-data"),
                vcekDisabled: properties["vcek-disabled"]?.boolValue == true))
        self.guest = guest
    }

    // MARK: - Running

    public func guestStarts() -> QEMUFailure? {
        guard var guest, let configuration, guest.state != .running else { return nil }
        do {
            try SimulatedSNPLaunch.update(configuration, guest: &guest)
        } catch {
            log("SNP_LAUNCH_UPDATE refused: \(error)")
            if case .firmware(let status) = error {
                return QEMUFailure(["SNP_LAUNCH_UPDATE ret=-5 fw_error=\(status.code) '\(QEMUFailure.firmwareErrorText(status.code))'"])
            }
            return QEMUFailure([error.description])
        }
        do {
            try guest.launchFinish(configuration.finish)
        } catch {
            log("SNP_LAUNCH_FINISH refused: \(error.description)")
            return QEMUFailure(["SNP_LAUNCH_FINISH ret=-5 fw_error=\(error.code) '\(QEMUFailure.firmwareErrorText(error.code))'"])
        }
        self.guest = guest
        log("guest running (SNP_LAUNCH_FINISH done, measurement \(Hex.encode(guest.measurement)))")
        return nil
    }

    // MARK: - QMP

    public func companionCommands(for request: HardwareRequest) -> [QEMUJSON] { [] }

    public func answer(_ request: HardwareRequest, qemu: QMPOutcome, companions: [QMPOutcome]) -> SecureProcessorAnswer? {
        if request.command == Self.guestReportCommand {
            return guestReport(request)
        }
        guard SEVSecureProcessor.isRefusalWithoutHardware(request.command, qemu) else { return nil }
        switch request.command {
        case SEVQMPCommand.capabilities:
            return sev.answer(request, qemu: qemu, companions: companions)
        case SEVQMPCommand.querySEV:
            guard let guest else { return nil }
            return .success(.object([
                ("enabled", .bool(true)),
                ("api-major", .int(Int64(SimulatedPlatform.apiMajor))),
                ("api-minor", .int(Int64(SimulatedPlatform.apiMinor))),
                ("build-id", .int(Int64(SimulatedPlatform.buildID))),
                ("state", .string(guest.state.rawValue)),
                ("sev-type", .string("sev-snp")),
                ("snp-policy", .int(Int64(bitPattern: guest.policy.rawValue))),
            ]))
        case SEVQMPCommand.launchMeasure:
            // sev_get_launch_measurement: only an sev-guest has one.
            return nil
        case SEVQMPCommand.attestationReport:
            // KVM refuses the SEV attestation command for an SNP guest (EPERM), before the firmware.
            return .failure("SEV: Failed to query the attestation report length ret=-1 fw_err=0 ()")
        case SEVQMPCommand.injectLaunchSecret:
            guard let guest else { return nil }
            return .failure("SEV: Not in correct state. (LSECRET) \(guest.state == .running ? 3 : 1)")
        default:
            return nil
        }
    }

    /// MSG_REPORT_REQ from the guest, with REPORT_DATA and VMPL.
    private func guestReport(_ request: HardwareRequest) -> SecureProcessorAnswer {
        guard let guest else { return .failure("\(Self.guestReportCommand): no SEV-SNP guest") }
        let data = GLibBase64.decode(request.arguments["report-data"]?.stringValue ?? "")
        guard data.count == 64 else {
            return .failure("\(Self.guestReportCommand): report-data must be base64 of 64 bytes (got \(data.count))")
        }
        let vmpl = request.arguments["vmpl"]?.uint64Value ?? 0
        do {
            let report = try guest.report(reportData: data, vmpl: UInt32(clamping: vmpl), platform: platform)
            return .success(.object([
                ("data", .string(Data(report.bytes).base64EncodedString())),
                ("certificates", .string(platform.certificates.map(\.pem).joined())),
            ]))
        } catch {
            log("MSG_REPORT_REQ refused: \(error.description)")
            return .failure("\(Self.guestReportCommand): firmware status \(error.code) \(error.name): \(error.detail)")
        }
    }
}
