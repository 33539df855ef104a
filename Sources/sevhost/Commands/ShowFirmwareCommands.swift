import ArgumentParser
import SEVKit
import SEVPlatform

/// The `sevhost show` facts that come from the firmware (sevctl's and snphost's `show`).
extension ShowCommand {
    /// GET_ID: one line of upper-case hex per socket (64 bytes each).
    struct Identifier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "identifier", abstract: "The chip identifier (GET_ID), one line of hex per socket.",
            discussion: CommandExamples.text("sevhost show identifier", "sevhost show identifier --firmware sim:fw"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var firmware: FirmwareOption

        func run() async throws {
            let device = try firmware.open()
            let id = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.identifier() }
            for start in stride(from: 0, to: id.count, by: 64) {
                print(Hex.encode(id[start..<min(start + 64, id.count)]).uppercased())
            }
        }
    }

    /// PLATFORM_STATUS: `major.minor.build`.
    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "version", abstract: "The SEV firmware version (PLATFORM_STATUS), major.minor.build.",
            discussion: CommandExamples.text("sevhost show version"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var firmware: FirmwareOption

        func run() async throws {
            let status = try await platformStatus(firmware)
            print("\(status.version).\(status.build)")
        }
    }

    /// PLATFORM_STATUS flags, each by name.
    struct Flags: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "flags", abstract: "The platform flags (PLATFORM_STATUS): owner and SEV-ES.",
            discussion: CommandExamples.text("sevhost show flags", "sevhost show flags --json"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var firmware: FirmwareOption
        @Flag(help: "Print the flags as JSON (schema sevhost-show-flags/1).") var json = false

        func run() async throws {
            let status = try await platformStatus(firmware)
            let owner = status.flags.value & 1 != 0 ? "external" : "self"
            if json {
                print(JSONOutput.render(JSONOutput.schema("show-flags"), [
                    ("owner", .string(owner)), ("sev-es-initialized", .bool(status.isESInitialized)),
                ]), terminator: "")
            } else {
                print("owner: \(owner)")
                print("sev-es: \(status.isESInitialized ? "initialized" : "not initialized")")
            }
        }
    }

    /// PLATFORM_STATUS guest count.
    struct Guests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "guests", abstract: "The number of SEV guests the firmware runs (PLATFORM_STATUS).",
            discussion: CommandExamples.text("sevhost show guests"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var firmware: FirmwareOption

        func run() async throws {
            print(try await platformStatus(firmware).guestCount)
        }
    }

    /// SNP_PLATFORM_STATUS: the current and reported TCB, decoded with the product's layout.
    struct TCB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tcb", abstract: "The SNP TCB versions (SNP_PLATFORM_STATUS): platform (current) and reported.",
            discussion: CommandExamples.text("sevhost show tcb", "sevhost show tcb --json"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var firmware: FirmwareOption
        @Flag(help: "Print both TCBs as JSON (schema sevhost-show-tcb/1).") var json = false

        func run() async throws {
            let status = try await snpStatus(firmware)
            if json {
                print(JSONOutput.render(JSONOutput.schema("show-tcb"), tcbFields(status, layout: firmware.tcbLayout)), terminator: "")
            } else {
                print(tcbLines(status, layout: firmware.tcbLayout).joined(separator: "\n"))
            }
        }
    }

    /// SNP_PLATFORM_STATUS, every field.
    struct SNPStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snp-status", abstract: "Every field of SNP_PLATFORM_STATUS.",
            discussion: CommandExamples.text("sevhost show snp-status", "sevhost show snp-status --json"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var firmware: FirmwareOption
        @Flag(help: "Print every field as JSON (schema sevhost-show-snp-status/1).") var json = false

        func run() async throws {
            let status = try await snpStatus(firmware)
            let layout = firmware.tcbLayout
            if json {
                print(JSONOutput.render(JSONOutput.schema("show-snp-status"), [
                    ("api-major", .uint(UInt64(status.apiMajor))), ("api-minor", .uint(UInt64(status.apiMinor))),
                    ("build-id", .uint(UInt64(status.buildID))), ("state", .string(status.state.rawValue)),
                    ("rmp-initialized", .bool(status.rmpInitialized)), ("alias-check-complete", .bool(status.aliasCheckComplete)),
                    ("mask-chip-id", .bool(status.maskChipID)), ("mask-chip-key", .bool(status.maskChipKey)),
                    ("vlek-enabled", .bool(status.vlekEnabled)), ("guests", .uint(UInt64(status.guestCount))),
                ] + tcbFields(status, layout: layout)), terminator: "")
                return
            }
            let lines = [
                "API version: \(status.apiMajor).\(status.apiMinor)",
                "Build ID: \(status.buildID)",
                "State: \(status.state.rawValue)",
                "RMP initialized: \(yesNo(status.rmpInitialized))",
                "Alias check complete: \(yesNo(status.aliasCheckComplete))",
                "Mask chip ID: \(yesNo(status.maskChipID))",
                "Mask chip key: \(yesNo(status.maskChipKey))",
                "VLEK enabled: \(yesNo(status.vlekEnabled))",
                "Guests: \(status.guestCount)",
            ] + tcbLines(status, layout: layout)
            print(lines.joined(separator: "\n"))
        }
    }
}

func platformStatus(_ option: FirmwareOption) async throws -> SEVPlatformStatus {
    let device = try option.open()
    return try await firmwareCall { () async throws(SEVFirmwareError) in try await device.platformStatus() }
}

func snpStatus(_ option: FirmwareOption) async throws -> SNPFirmwareStatus {
    let device = try option.open()
    return try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpPlatformStatus() }
}

func hex64(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}

/// The platform (current) and reported TCB, decoded with the product's layout and in hex.
private func tcbLines(_ status: SNPFirmwareStatus, layout: TCBVersion.Layout) -> [String] {
    [
        "Platform TCB: \(TCBVersion(raw: status.currentTCB, layout: layout)) (\(hex64(status.currentTCB)))",
        "Reported TCB: \(TCBVersion(raw: status.reportedTCB, layout: layout)) (\(hex64(status.reportedTCB)))",
    ]
}

/// The platform (current) and reported TCB as JSON, decoded with the product's layout.
private func tcbFields(_ status: SNPFirmwareStatus, layout: TCBVersion.Layout) -> [(String, OrderedJSON)] {
    [("platform-tcb", .object(TCBVersion(raw: status.currentTCB, layout: layout).fields)),
     ("reported-tcb", .object(TCBVersion(raw: status.reportedTCB, layout: layout).fields))]
}

private func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
