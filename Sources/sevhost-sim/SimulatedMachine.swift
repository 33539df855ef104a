import AtomicFiles
import Foundation
import QMP
import SEVKit
import SEVLaunchSimulator

/// The QEMU half of the simulator: the run state, the SEV guest behind it, and the QMP
/// commands, answered the way QEMU answers them (reply shapes, error classes, events).
///
/// Confined to the server's single event loop, which serialises every command; that is the
/// only reason for `@unchecked Sendable`.
final class SimulatedMachine: @unchecked Sendable {
    enum RunState: String {
        case prelaunch, running, paused, shutdown
    }

    /// What a command produced: the reply, the events to send before it, and whether the
    /// process should exit once the reply is written (`quit`).
    struct Outcome {
        var reply: Result<QMPValue, QMPCommandError>
        var events: [QMPEvent] = []
        var exitAfterReply = false
    }

    private(set) var runState: RunState
    private var guest: SimulatedGuest
    private let platform: SimulatedPlatform
    private let firmware: OVMFImage
    private let cBitPosition: Int
    private let reducedPhysicalBits: Int
    private let secretOut: String?
    private let replayedMeasurement: [UInt8]?
    private let reportedBuildID: UInt8
    private let log: (String) -> Void

    init(
        guest: SimulatedGuest, platform: SimulatedPlatform, firmware: OVMFImage, startPaused: Bool,
        cBitPosition: Int, reducedPhysicalBits: Int, secretOut: String?, replayedMeasurement: [UInt8]?,
        reportedBuildID: UInt8 = SimulatedPlatform.buildID, log: @escaping (String) -> Void
    ) {
        self.reportedBuildID = reportedBuildID
        self.guest = guest
        self.platform = platform
        self.firmware = firmware
        self.cBitPosition = cBitPosition
        self.reducedPhysicalBits = reducedPhysicalBits
        self.secretOut = secretOut
        self.replayedMeasurement = replayedMeasurement
        self.log = log
        runState = .prelaunch
        if !startPaused { _ = start() }
    }

    /// QEMU's greeting; the simulator claims the QMP of QEMU 9.1 (the `sev-type` union).
    static let greeting: QMPValue = [
        "QMP": [
            "version": ["qemu": ["major": 9, "minor": 1, "micro": 0], "package": "sevhost-sim"],
            "capabilities": ["oob"],
        ],
    ]

    func execute(_ command: String, arguments: QMPValue.Object) -> Outcome {
        switch command {
        case "query-status":
            return Outcome(reply: .success(["status": .string(runState.rawValue), "running": .bool(runState == .running), "singlestep": false]))
        case "query-version":
            return Outcome(reply: .success(["qemu": ["major": 9, "minor": 1, "micro": 0], "package": "sevhost-sim"]))
        case "stop":
            guard runState == .running else { return Outcome(reply: .success([:])) }
            runState = .paused
            return Outcome(reply: .success([:]), events: [QMPEvent(name: "STOP")])
        case "cont":
            return start()
        case "quit":
            runState = .shutdown
            return Outcome(
                reply: .success([:]),
                events: [QMPEvent(name: "SHUTDOWN", data: ["guest": false, "reason": "host-qmp-quit"])],
                exitAfterReply: true)
        case "query-sev":
            return Outcome(reply: .success([
                "enabled": true,
                "api-major": .int(Int64(SimulatedPlatform.apiMajor)),
                "api-minor": .int(Int64(SimulatedPlatform.apiMinor)),
                "build-id": .int(Int64(reportedBuildID)),
                "policy": .int(Int64(guest.policy)),
                "state": .string(guest.state.rawValue),
                "handle": .int(Int64(guest.handle)),
                "sev-type": "sev",
            ]))
        case "query-sev-launch-measure":
            guard let measurement = replayedMeasurement ?? guest.measurement?.encoded else {
                return failure(command, "SEV launch measurement is not available")
            }
            return Outcome(reply: .success(["data": .string(Data(measurement).base64EncodedString())]))
        case "query-sev-capabilities":
            return Outcome(reply: .success([
                "pdh": .string(Data(platform.chain.pdh.encoded).base64EncodedString()),
                "cert-chain": .string(Data(platform.exportedCertificateChain).base64EncodedString()),
                "cpu0-id": .string(Data(platform.chipID).base64EncodedString()),
                "cbitpos": .int(Int64(cBitPosition)),
                "reduced-phys-bits": .int(Int64(reducedPhysicalBits)),
            ]))
        case "query-sev-attestation-report":
            return failure(command, "SEV: the simulated firmware does not implement ATTESTATION")
        case "sev-inject-launch-secret":
            return injectSecret(arguments)
        default:
            return Outcome(reply: .failure(QMPCommandError(command: command, errorClass: "CommandNotFound", message: "The command \(command) has not been found")))
        }
    }

    /// `cont`: the first start finishes the launch (QEMU issues LAUNCH_FINISH as the VM starts).
    private func start() -> Outcome {
        switch runState {
        case .running:
            return Outcome(reply: .success([:]))
        case .shutdown:
            return failure("cont", "Resetting the Virtual Machine is required")
        case .prelaunch:
            do {
                try guest.launchFinish()
            } catch {
                return failure("cont", "SEV: LAUNCH_FINISH failed: fw_error=\(error.code) \(error.name): \(error.detail)")
            }
            log("guest running (LAUNCH_FINISH done)")
        case .paused:
            break
        }
        runState = .running
        return Outcome(reply: .success([:]), events: [QMPEvent(name: "RESUME")])
    }

    private func injectSecret(_ arguments: QMPValue.Object) -> Outcome {
        let command = "sev-inject-launch-secret"
        guard let headerText = arguments["packet-header"]?.stringValue, let header = Data(base64Encoded: headerText) else {
            return failure(command, "Parameter 'packet-header' expects a base64 string")
        }
        guard let secretText = arguments["secret"]?.stringValue, let secret = Data(base64Encoded: secretText) else {
            return failure(command, "Parameter 'secret' expects a base64 string")
        }
        guard guest.state == .launchSecret else {
            return failure(command, "SEV: Not in correct state (the guest is \(guest.state.rawValue), launch-secret is needed)")
        }
        // Without `gpa`, QEMU puts the secret where the firmware's footer table says (OVMF
        // AmdSev builds); firmware without a secret area (Debian's OVMF) needs an explicit gpa.
        let address: UInt64
        if let value = arguments["gpa"] {
            guard let gpa = value.uint64Value else { return failure(command, "Parameter 'gpa' expects uint64") }
            address = gpa
        } else if let area = firmware.sevSecretLocation {
            guard secret.count <= Int(area.size) else {
                let refusal = SEVFirmwareStatus.invalidLength("\(secret.count) bytes do not fit the \(area.size)-byte secret area")
                return failure(command, "SEV: failed to inject secret: fw_error=\(refusal.code) \(refusal.name): \(refusal.detail)")
            }
            address = UInt64(area.gpa)
        } else {
            return failure(command, "SEV: no secret area found in OVMF, gpa must be specified.")
        }
        let plaintext: [UInt8]
        do {
            plaintext = try guest.launchSecret(header: [UInt8](header), payload: [UInt8](secret))
        } catch {
            log("LAUNCH_SECRET refused: \(error.name)")
            return failure(command, "SEV: failed to inject secret: fw_error=\(error.code) \(error.name): \(error.detail)")
        }
        if let secretOut {
            do {
                try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write(plaintext, to: secretOut, mode: AtomicFile.secretMode) }
            } catch {
                return failure(command, "sevhost-sim: \(error)")
            }
        }
        log("LAUNCH_SECRET: \(plaintext.count) bytes of secret at guest physical address 0x\(String(address, radix: 16))")
        return Outcome(reply: .success([:]))
    }

    private func failure(_ command: String, _ message: String) -> Outcome {
        Outcome(reply: .failure(QMPCommandError(command: command, errorClass: "GenericError", message: message)))
    }
}
