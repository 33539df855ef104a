import ArgumentParser
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
            throw CaptureFailure(error: error)
        }
    }
}

extension HostRootOption {
    /// The selected host's C-bit position and physical address bit reduction.
    func memoryEncryption() throws -> MemoryEncryptionInfo {
        try MemoryEncryptionInfo(probe: probe())
    }
}

/// A captured host could not be used: printed as `Error: captured host: FILE: reason`.
struct CaptureFailure: Error, CustomStringConvertible {
    var error: HostProbeError
    var description: String { "captured host: \(error)" }
}
