import AtomicFiles
import Foundation
import QEMUFront
import SEVKit
import SEVLaunchSimulator

/// sevhost-sim: a front for the real QEMU on a simulated SEV platform. It takes QEMU's command
/// line, starts the real QEMU (found on PATH, or `--sim-qemu PATH`, or `SEVHOST_SIM_QEMU`) with
/// the SEV parts taken out, serves the `-qmp` sockets itself in front of QEMU's, and lets a
/// simulated AMD Secure Processor (SEVLaunchSimulator, real cryptography) launch the guest and
/// answer the QMP commands only SEV hardware can answer. See QEMUFront's `FrontPlan` and
/// `FrontRuntime`; its options are in `SimulatorUsage`. `--version` and every command line with
/// nothing to front go to the real QEMU as they are.

FrontSignals.blockInEveryThread()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sevhost-sim: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())

if arguments == ["--help"] || arguments == ["-h"] || arguments == ["-help"] {
    print(SimulatorUsage.text, terminator: "")
    exit(0)
}

// An SEV-SNP guest's attestation report, as the guest would ask its AMD-SP for one.
if arguments.first == "--guest-report" {
    await GuestReportRequest.run(arguments)
}

// What the guest would find in its secret area (its efi_secret entries), for the demo.
if arguments.first == "--show-secrets" {
    guard arguments.count == 2, let data = FileManager.default.contents(atPath: arguments[1]) else {
        fail("--show-secrets FILE: expected a readable secret area file written by --secret-out")
    }
    do {
        let table = try GuestSecretTable(bytes: [UInt8](data))
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
    var state = FrontRuntime.defaultStateDirectory(ProcessInfo.processInfo.environment)
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

FrontRuntime.run(arguments: arguments)
