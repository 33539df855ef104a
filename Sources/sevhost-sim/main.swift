import AtomicFiles
import BoundedFiles
import Foundation
import SEVKit
import SEVLaunchSimulator

/// sevhost-sim: plays `qemu-system-x86_64` for an SEV or SEV-ES guest. It takes QEMU's
/// command line, runs the launch on a software SEV firmware with real cryptography (see
/// SEVLaunchSimulator), and serves QMP on the `-qmp` socket so that sevhost drives it exactly as it
/// drives QEMU. Options of its own:
///   --sim-state DIR     the platform's persistent keys (default $SEVHOST_SIM_STATE, else
///                       $XDG_STATE_HOME/sevhost-sim or ~/.local/state/sevhost-sim)
///   --secret-out FILE   where the decrypted secret area the guest would read is written
///                       (0600; default $SEVHOST_SIM_SECRET_OUT)
///   --replay-measurement FILE   a hostile-host knob for tests: answer
///                       query-sev-launch-measure with this base64 blob instead of the firmware's
///   --query-sev-build-id N      another: query-sev reports this firmware build instead
///   --dump-vmsa DIR     write the VMSA pages LAUNCH_UPDATE_VMSA measured as DIR/vmsa<N>.bin
/// and `--print-pdh FILE` / `--print-chain FILE` (with --sim-state only) to export the
/// platform's PDH or full chain (PDH, PEK, OCA, CEK, ASK, ARK) without starting a guest, and
/// `--show-secrets FILE` to list what a guest finds in a secret area written by --secret-out.

ShutdownSignals.blockInEveryThread()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sevhost-sim: \(TerminalText.line(message))\n".utf8))
    exit(1)
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("sevhost-sim: \(TerminalText.line(message))\n".utf8))
}

func defaultStateDirectory() -> String {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["SEVHOST_SIM_STATE"], !explicit.isEmpty { return explicit }
    if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/sevhost-sim" }
    return NSHomeDirectory() + "/.local/state/sevhost-sim"
}

func readFile(_ path: String, option: String, _ limit: InputLimit) -> [UInt8] {
    do {
        return try BoundedFile.read(path, limit)
    } catch {
        fail("\(option) \(error)")
    }
}

func readBase64File(_ path: String, option: String) -> [UInt8] {
    let data = readFile(path, option: option, .sessionFile)
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let decoded = Data(base64Encoded: text) else { fail("\(option)=\(path): not base64 text") }
    return [UInt8](decoded)
}

var arguments = Array(CommandLine.arguments.dropFirst())

if arguments == ["--help"] || arguments == ["-h"] || arguments == ["-help"] {
    print(SimulatorUsage.text, terminator: "")
    exit(0)
}
// As QEMU answers it, so `sevhost launch --qemu sevhost-sim` learns which QEMU it plays.
if arguments == ["--version"] || arguments == ["-version"] {
    print(SimulatorUsage.versionBanner)
    exit(0)
}

// What the guest would find in its secret area (its efi_secret entries), for the demo.
if arguments.first == "--show-secrets" {
    guard arguments.count == 2 else {
        fail("--show-secrets FILE: expected a readable secret area file written by --secret-out")
    }
    let data = readFile(arguments[1], option: "--show-secrets", .secret)
    do {
        let table = try GuestSecretTable(bytes: data)
        for entry in table.entries {
            let text = String(bytes: entry.data, encoding: .utf8).map { $0.trimmingCharacters(in: .newlines) }
            let shown = text.map { "\"\($0)\"" } ?? Hex.encode(entry.data)
            print("/sys/kernel/security/secrets/coco/\(entry.guid): \(entry.data.count) bytes: \(shown)")
        }
    } catch {
        fail("\(arguments[1]): \(error)")
    }
    exit(0)
}

// Export mode: the platform's certificates, for a guest owner preparing a session offline.
if let index = arguments.firstIndex(where: { $0 == "--print-pdh" || $0 == "--print-chain" }) {
    guard index + 1 < arguments.count else { fail("\(arguments[index]): missing the output file") }
    var state = defaultStateDirectory()
    if let stateIndex = arguments.firstIndex(of: "--sim-state"), stateIndex + 1 < arguments.count { state = arguments[stateIndex + 1] }
    do {
        let platform = try SimulatedPlatform(stateDirectory: state)
        let bytes = arguments[index] == "--print-pdh"
            ? platform.chain.pdh.encoded
            : platform.chain.encoded + platform.ca.encoded
        try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write(bytes, to: arguments[index + 1]) }
    } catch {
        fail(error.description)
    }
    exit(0)
}

let commandLine: QEMUCommandLine
let vmType: SEVVMType
do {
    commandLine = try QEMUCommandLine(arguments: arguments)
    vmType = try commandLine.vmType()
} catch {
    fail(error.description)
}
let environment = ProcessInfo.processInfo.environment
let stateDirectory = commandLine.stateDirectory ?? defaultStateDirectory()
let secretOut = commandLine.secretOut ?? environment["SEVHOST_SIM_SECRET_OUT"].flatMap { $0.isEmpty ? nil : $0 }

let platform: SimulatedPlatform
do {
    platform = try SimulatedPlatform(stateDirectory: stateDirectory)
} catch {
    fail(error.description)
}

let firmwarePath = commandLine.firmwarePath ?? ""
let firmwareData = readFile(firmwarePath, option: "firmware", .firmwareImage)
let firmware: OVMFImage
do {
    firmware = try OVMFImage(bytes: firmwareData)
} catch {
    fail("firmware \(firmwarePath): \(error)")
}

var godh: SEVPlatformCertificate?
var session: LaunchSessionBlob?
if let path = commandLine.sevGuest["dh-cert-file"] {
    do {
        godh = try SEVPlatformCertificate(bytes: readBase64File(path, option: "dh-cert-file"), name: "dh-cert-file \(path)")
    } catch {
        fail(error.description)
    }
}
if let path = commandLine.sevGuest["session-file"] {
    do {
        session = try LaunchSessionBlob(bytes: readBase64File(path, option: "session-file"), name: "session-file \(path)")
    } catch {
        fail(error.description)
    }
}

let launch: SimulatedGuest
do {
    let policy = try commandLine.policy()
    var hashTable: SEVHashTable?
    if commandLine.kernelHashes {
        guard let kernel = commandLine.kernel else { fail("kernel-hashes=on needs -kernel") }
        hashTable = try SEVHashTable.hashing(kernel: kernel, initrd: commandLine.initrd, append: commandLine.append)
    }
    var signature: UInt32 = 0
    if SEVGuestPolicy(rawValue: policy).contains(SEVGuestPolicy.encryptedState) {
        guard let model = VCPUType.named(commandLine.cpuModel) else {
            fail("-cpu \(commandLine.cpuModel): SEV-ES measures the vCPU signature; expected one of \(VCPUType.known.map(\.name).joined(separator: ", "))")
        }
        signature = model.signature
    }
    let configuration = SimulatedLaunchConfiguration(
        firmware: firmware, policy: policy, godh: godh, session: session, hashTable: hashTable,
        vcpus: commandLine.vcpus, vcpuSignature: signature, vmType: vmType)
    launch = try SimulatedLaunch.run(configuration, platform: platform)
} catch let error as SimulatorError {
    if case .firmware(let status) = error {
        fail("sev_launch_start: LAUNCH_START fw_error=\(status.code) '\(status.name)': \(status.detail)")
    }
    fail(error.description)
} catch {
    fail("\(error)")
}

let cBitPosition: Int
let reducedPhysicalBits: Int
do {
    cBitPosition = try commandLine.integerProperty("cbitpos", default: 51)
    reducedPhysicalBits = try commandLine.integerProperty("reduced-phys-bits", default: 1)
} catch {
    fail(error.description)
}

var replayed: [UInt8]?
if let path = commandLine.replayMeasurement {
    replayed = readBase64File(path, option: "--replay-measurement")
}
var reportedBuildID = SimulatedPlatform.buildID
if let text = commandLine.reportedBuildID {
    guard let value = UInt8(text) else { fail("--query-sev-build-id \(text): expected 0 to 255") }
    reportedBuildID = value
}
if let directory = commandLine.dumpVMSA {
    for (index, page) in launch.measuredVMSAs.enumerated() {
        do {
            try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write(page, to: "\(directory)/vmsa\(index).bin") }
        } catch {
            fail("--dump-vmsa \(directory): \(error)")
        }
    }
}

let machine = SimulatedMachine(
    guest: launch, platform: platform, firmware: firmware, startPaused: commandLine.startPaused,
    cBitPosition: cBitPosition, reducedPhysicalBits: reducedPhysicalBits,
    secretOut: secretOut, replayedMeasurement: replayed, reportedBuildID: reportedBuildID, log: log)
if let pidFile = commandLine.pidFile {
    do {
        try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write(Array("\(getpid())\n".utf8), to: pidFile) }
    } catch {
        fail("-pidfile \(pidFile): \(error)")
    }
}
log("SEV\(SEVGuestPolicy(rawValue: launch.policy).contains(SEVGuestPolicy.encryptedState) ? "-ES" : "") guest (\(vmType.rawValue) VM type) measured, state \(launch.state.rawValue); QMP on \(commandLine.qmpSocket ?? "")")
do {
    try await QMPServer.run(socketPath: commandLine.qmpSocket ?? "", machine: machine)
} catch {
    fail("-qmp unix:\(commandLine.qmpSocket ?? ""): \(error)")
}
