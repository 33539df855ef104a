import ArgumentParser
import Foundation
import SEVPlatformSimulator
import SEVKit
import SEVPlatform

/// `--firmware /dev/sev|sim:DIR`: which firmware the platform commands talk to.
struct FirmwareOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SEV firmware: a device (default /dev/sev) or sim:DIR, a simulated firmware whose state lives in DIR.",
        valueName: "DEVICE|sim:DIR"))
    var firmware: String = "/dev/sev"

    var simulatorDirectory: String? {
        firmware.hasPrefix("sim:") ? String(firmware.dropFirst(4)) : nil
    }

    func open() throws -> any SEVFirmware {
        if let directory = simulatorDirectory {
            guard !directory.isEmpty else { throw CommandFailure("--firmware sim:DIR: DIR is empty") }
            return SimulatedFirmware(directory: directory)
        }
        return LinuxSEVFirmware(path: firmware)
    }

    /// The TCB layout of the firmware's product: the simulated chip is a Milan; the device's is
    /// the CPU this runs on (Turin packs its TCB differently from Milan and Genoa).
    var tcbLayout: TCBVersion.Layout {
        if simulatorDirectory != nil { return .milanGenoa }
        let product = (try? HostProbe(root: .live))?.product
        return TCBVersion.Layout(product: product ?? .milan)
    }
}

/// Runs one firmware command, its typed error becoming the CLI's one-line failure
/// (`sevhost: <command> failed: firmware status …`).
func firmwareCall<T>(_ body: () async throws(SEVFirmwareError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw CommandFailure(error.description)
    }
}

/// `--yes`, and the question a destructive command asks on a terminal.
struct ConfirmationOption: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Do not ask for confirmation (for scripts).")
    var yes = false

    /// Asks `question` on the terminal; without a terminal, refuses unless --yes was given, so a
    /// script never destroys keys by accident.
    func confirm(_ question: String, action: String) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CommandFailure("refusing to \(action) without --yes: standard input is not a terminal to confirm on")
        }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            throw CommandFailure("not confirmed: nothing was changed")
        }
    }
}

extension FirmwareOption {
    /// For `sevhost ok`: the answers of PLATFORM_STATUS and SNP_PLATFORM_STATUS from a firmware
    /// other than the host's own (nil for the default /dev/sev, which the probe asks itself, or
    /// a captured host's firmware.json).
    func answersForProbe() async throws -> CapturedFirmware? {
        guard firmware != "/dev/sev" else { return nil }
        let device = try open()
        let sev: Result<SEVPlatformStatus, FirmwareQueryFailure>
        do {
            sev = .success(try await device.platformStatus())
        } catch {
            sev = .failure(FirmwareQueryFailure(error.description))
        }
        let snp: Result<SNPPlatformStatus, FirmwareQueryFailure>
        do {
            snp = .success(try await device.snpPlatformStatus().summary)
        } catch {
            snp = .failure(FirmwareQueryFailure(error.description))
        }
        return CapturedFirmware(platformStatus: sev, snpPlatformStatus: snp)
    }
}
