import ArgumentParser
import SEVKit
import SEVPlatform

/// `sevhost reset`: PLATFORM_RESET, back to a self-owned platform with new keys.
struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Reset the SEV platform: new OCA, PEK and PDH; ownership returns to the platform.",
        discussion: CommandExamples.text("sevhost reset --yes"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @OptionGroup var confirmation: ConfirmationOption

    func run() async throws {
        let device = try firmware.open()
        _ = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.platformStatus() }
        try confirmation.confirm(
            "Reset the \(device.location)? Its owner's certificate and every key but the CEK are discarded.",
            action: "reset the platform")
        try await firmwareCall { () async throws(SEVFirmwareError) in try await device.resetPlatform() }
    }
}

/// `sevhost rotate`: PDH_GEN (or PEK_GEN with --pek).
struct RotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate the platform Diffie-Hellman key (PDH_GEN); --pek rotates the PEK too (PEK_GEN).",
        discussion: "--pek also drops an external owner: the new PEK is signed by a new self-owned OCA." + "\n\n" + CommandExamples.text("sevhost rotate --pek --yes"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @OptionGroup var confirmation: ConfirmationOption

    @Flag(help: "Generate a new PEK (and so a new PDH) instead of only a new PDH.")
    var pek = false

    func run() async throws {
        let device = try firmware.open()
        _ = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.platformStatus() }
        try confirmation.confirm(
            "Rotate the \(pek ? "PEK and PDH" : "PDH") of the \(device.location)? Guest owners must fetch the new chain.",
            action: "rotate keys")
        if pek {
            try await firmwareCall { () async throws(SEVFirmwareError) in try await device.generatePEK() }
        } else {
            try await firmwareCall { () async throws(SEVFirmwareError) in try await device.generatePDH() }
        }
    }
}
