import ArgumentParser
import SEVKit
import SEVPlatform

/// `--host-root DIR`: probe a captured host instead of this machine.
struct HostRootOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Probe the captured host in DIR (see `sevhost capture`) instead of this machine.", valueName: "DIR"))
    var hostRoot: String?

    /// The probe for the selected host; a malformed capture is a one-line error naming the file.
    /// `firmware`, when given, answers the firmware commands (see `FirmwareOption.answersForProbe`).
    func probe(firmware: CapturedFirmware? = nil) throws -> HostProbe {
        do {
            let root = try hostRoot.map { path throws(HostProbeError) in try HostRoot(captured: path) } ?? .live
            return try HostProbe(root: root, firmware: firmware)
        } catch {
            throw CommandFailure.capturedHost(error)
        }
    }
}

extension HostRootOption {
    /// The selected host's C-bit position and physical address bit reduction.
    func memoryEncryption() throws -> HostSEVParameters {
        try HostSEVParameters(probe: probe())
    }
}

extension CommandFailure {
    /// A captured host could not be used: `captured host: FILE: reason`.
    static func capturedHost(_ error: HostProbeError) -> CommandFailure {
        CommandFailure("captured host: \(error)")
    }
}
