import ArgumentParser
import Foundation
import Launch
import SEVHostKit
import SEVPlatform
#if canImport(Glibc)
import Glibc
#endif

/// `sevhost launch SPEC`: checks a VM spec and prints its QEMU command line, libvirt domain or
/// resolved JSON, or replaces itself with QEMU.
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Launch a confidential VM from a spec, or print its QEMU argv / libvirt XML / JSON.",
        discussion: """
            The spec format is documented in sevhost-spec(5). The C-bit position and \
            reduced-phys-bits come from --cbitpos/--reduced-phys-bits, else from the host's \
            CPUID (or the captured host given with --host-root). The firmware named by the spec \
            is inspected for SEV metadata, SEV-ES support and kernel hash tables. For SEV-SNP, \
            a spec naming an id-key gets an ID block signed for the launch digest of its own \
            firmware, kernel hashes and vCPUs; --print json shows that digest as launch-digest.
            """)

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case qemu, libvirt, json
    }

    @Argument(help: "The VM spec (YAML or JSON).")
    var spec: String

    @Option(name: .long, help: "Print instead of launching: qemu, libvirt or json.")
    var print: Output?

    @Option(name: .customLong("cbitpos"), help: "C-bit position (CPUID 0x8000001F EBX[5:0]).")
    var cbitPosition: Int?

    @Option(name: .customLong("reduced-phys-bits"), help: "Reduced physical address bits (CPUID 0x8000001F EBX[11:6]).")
    var reducedPhysBits: Int?

    @OptionGroup var host: HostRootOption

    @Option(name: .long, help: "The QEMU binary to run; a bare name is looked up in PATH.")
    var qemu: String = "qemu-system-x86_64"

    @Option(name: .long, help: "Directory holding libvirt/domain.xml (default: the templates/ shipped with sevhost).")
    var templates: String?

    func validate() throws {
        if (cbitPosition == nil) != (reducedPhysBits == nil) {
            throw ValidationError("--cbitpos and --reduced-phys-bits go together")
        }
        if let cbitPosition, !(1...63).contains(cbitPosition) {
            throw ValidationError("--cbitpos \(cbitPosition) is not a bit position in 1...63")
        }
        if let reducedPhysBits, !(0...63).contains(reducedPhysBits) {
            throw ValidationError("--reduced-phys-bits \(reducedPhysBits) is not in 0...63")
        }
    }

    func run() throws {
        let spec: VMSpec
        let lines: SpecLines
        do {
            (spec, lines) = try SpecLoader.loadWithLines(path: self.spec)
        } catch {
            StderrReporter.report(error.description)
            throw ExitCode.failure
        }
        let (hostValues, probeFailure) = try hostParameters()
        let firmware = try firmwareFacts(spec, lines: lines)

        var plan: LaunchPlan
        do {
            plan = try LaunchPlan.resolve(spec, host: hostValues, firmware: firmware)
        } catch {
            StderrReporter.report("\(located(error.field, in: lines)): \(error.description)")
            throw ExitCode.failure
        }
        do {
            plan = try SNPLaunchPreparation.prepare(plan)
        } catch {
            // Printing for another host may name files this one lacks: an inline block or a pin
            // then goes unchecked, with a warning, as the firmware checks do. Signing cannot.
            guard print != nil, plan.signingRequest == nil, case .unreadableFile = error else {
                StderrReporter.report("\(located(error.field, in: lines)): \(error.description)")
                throw ExitCode.failure
            }
            StderrReporter.warn("launch digest not checked: \(error.description)")
        }
        // `--print json` makes the expected launch digest explicit whenever it can be computed;
        // a spec that needs none (no id-key, inline block or pin) still prints without it.
        if print == .json, plan.type == .sevSNP, plan.launchDigest == nil, firmware != nil {
            do {
                plan = try SNPLaunchPreparation.prepare(plan, always: true)
            } catch {
                StderrReporter.warn("launch-digest not computed: \(error.description)")
            }
        }

        switch print {
        case .json:
            Swift.print(plan.json(), terminator: "")
        case .libvirt:
            do {
                let renderer = try LibvirtDomainRenderer(templatesDirectory: templatesDirectory())
                Swift.print(try renderer.render(plan), terminator: "")
            } catch {
                StderrReporter.report(error.description)
                throw ExitCode.failure
            }
        case .qemu:
            let arguments = try qemuArguments(plan, probeFailure: probeFailure)
            Swift.print(ShellQuoting.commandLine([qemu] + arguments))
        case nil:
            let arguments = try qemuArguments(plan, probeFailure: probeFailure)
            if plan.preAttestation, let qmp = plan.spec.qmp {
                StderrReporter.warn("starting paused for pre-attestation; QMP socket: \(qmp)")
            }
            try exec(qemu, arguments)
        }
    }

    private func qemuArguments(_ plan: LaunchPlan, probeFailure: String?) throws -> [String] {
        do {
            return try QEMUCommandBuilder().arguments(for: plan)
        } catch {
            var message = "\(spec): \(error.description)"
            if error == .hostParametersUnknown, let probeFailure { message += " (host probe: \(probeFailure))" }
            StderrReporter.report(message)
            throw ExitCode.failure
        }
    }

    /// Explicit flags win; otherwise the host's CPUID (live or captured). A host without SEV is
    /// not an error yet: libvirt and JSON output do not need the values, QEMU output reports it.
    private func hostParameters() throws -> (HostSEVParameters?, String?) {
        if let cbitPosition, let reducedPhysBits {
            return (HostSEVParameters(cbitPosition: cbitPosition, reducedPhysBits: reducedPhysBits), nil)
        }
        let probe: HostProbe
        do {
            probe = try host.probe()
        } catch {
            StderrReporter.report("\(error)")
            throw ExitCode.failure
        }
        do {
            let info = try MemoryEncryptionInfo(probe: probe)
            return (HostSEVParameters(cbitPosition: info.cbitPosition, reducedPhysBits: info.reducedPhysBits), nil)
        } catch {
            return (nil, error.description)
        }
    }

    /// Facts about the spec's firmware. An image that cannot be parsed is an error; one that
    /// cannot be read is an error when launching, and only a warning when printing (the output
    /// may be meant for another host), so the checks that need it are reported as skipped.
    private func firmwareFacts(_ spec: VMSpec, lines: SpecLines) throws -> FirmwareFacts? {
        do {
            return try FirmwareFacts(firmwareAt: spec.firmware.path)
        } catch {
            if case .unreadableFile = error, print != nil {
                StderrReporter.warn("firmware checks skipped: \(error.description)")
                return nil
            }
            StderrReporter.report("\(located(error.field, in: lines)): \(error.description)")
            throw ExitCode.failure
        }
    }

    /// `SPEC:LINE` for a field the file has, else `SPEC`.
    private func located(_ field: String?, in lines: SpecLines) -> String {
        guard let field, let line = lines.line(of: field) else { return spec }
        return "\(spec):\(line)"
    }

    /// `--templates`, else `SEVHOST_TEMPLATES`, else the `templates/` of the checkout the binary
    /// was built in (`.build/<config>/sevhost` → `../../templates`), else `/usr/share/sevhost/templates`.
    private func templatesDirectory() -> URL {
        if let templates { return URL(fileURLWithPath: templates) }
        if let env = ProcessInfo.processInfo.environment["SEVHOST_TEMPLATES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("templates")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(LibvirtDomainRenderer.templateFileName).path) {
                return candidate
            }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "/usr/share/sevhost/templates")
    }

    /// Replaces this process with QEMU, so signals and the exit status are QEMU's own.
    private func exec(_ program: String, _ arguments: [String]) throws -> Never {
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        execvp(program, argv)
        let reason = String(cString: strerror(errno))
        StderrReporter.report("cannot run \(program): \(reason)")
        throw ExitCode.failure
    }
}

/// POSIX-shell quoting for printing a command a user can paste.
enum ShellQuoting {
    static func quote(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:@+%")
        if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// One option per line, continued with backslashes.
    static func commandLine(_ words: [String]) -> String {
        var out = ""
        for (index, word) in words.enumerated() {
            if index > 0 { out += word.hasPrefix("-") ? " \\\n    " : " " }
            out += quote(word)
        }
        return out
    }
}
