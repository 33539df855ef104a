import ArgumentParser
import Foundation
import Orchestration
import SEVKit
import SEVPlatform

/// `sevhost show`: single facts about the host, for scripts.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one fact about this host (or a captured one).",
        discussion: CommandExamples.text("sevhost show cbitpos", "sevhost show version --firmware sim:fw"),
        subcommands: [
            CBitPosition.self, ReducedPhysBits.self, Generation.self,
            Identifier.self, Version.self, Flags.self, Guests.self, TCB.self, SNPStatus.self, VCEKURLCommand.self,
            VLEKURLCommand.self, HashsticksURLCommand.self, SNPPolicyBits.self, ASIDs.self, FirmwareFile.self,
        ])

    /// The C-bit position, QEMU's `cbitpos`.
    struct CBitPosition: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cbitpos", abstract: "The C-bit position (CPUID 0x8000001F EBX[5:0]), QEMU's cbitpos.",
            discussion: CommandExamples.text("sevhost show cbitpos", "sevhost show cbitpos --host-root host"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var host: HostRootOption

        func run() throws {
            print(try host.memoryEncryption().cbitPosition)
        }
    }

    /// Physical address bits lost to encryption, QEMU's `reduced-phys-bits`.
    struct ReducedPhysBits: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reduced-phys-bits",
            abstract: "Physical address bit reduction (CPUID 0x8000001F EBX[11:6]), QEMU's reduced-phys-bits.",
            discussion: CommandExamples.text("sevhost show reduced-phys-bits"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var host: HostRootOption

        func run() throws {
            print(try host.memoryEncryption().reducedPhysBits)
        }
    }

    /// The processor's product line and the newest SEV generation it implements.
    struct Generation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generation",
            abstract: "The EPYC product line (Naples, Rome, Milan, Genoa, Turin) from the CPU family and model.",
            discussion: CommandExamples.text("sevhost show generation"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var host: HostRootOption

        func run() throws {
            let probe = try host.probe()
            let signature = probe.signature
            let identification = probe.identification
            guard probe.vendor == "AuthenticAMD", identification.generation != nil else {
                throw MemoryEncryptionUnavailable(
                    reason: "\(probe.vendor) family 0x\(String(signature.family, radix: 16)) model 0x\(String(signature.model, radix: 16)) is not an SEV-capable EPYC")
            }
            // A CPU the table does not know: the generation CPUID says, with the note.
            print(identification.summary)
        }
    }

    /// The SNP policy bits this host's KVM accepts at SNP_LAUNCH_START.
    struct SNPPolicyBits: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snp-policy-bits",
            abstract: "The SNP policy bits KVM accepts (KVM_X86_SNP_POLICY_BITS, or Linux 6.11-6.18's fixed mask), hex and by name.",
            discussion: CommandExamples.text("sevhost show snp-policy-bits", "sevhost show snp-policy-bits --json"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var host: HostRootOption
        @Flag(help: "Print the mask as JSON (schema sevhost-show-snp-policy-bits/1).") var json = false

        func run() throws {
            switch try host.probe().snpPolicyBits() {
            case .success(let bits) where json:
                print(JSONOutput.render(JSONOutput.schema("show-snp-policy-bits"), [
                    ("mask", .string(bits.hex)), ("flags", .array(bits.flagNames.map { .string($0) })),
                    ("source", .string(bits.source.rawValue)),
                ]), terminator: "")
            case .success(let bits):
                print("\(bits.hex) \(bits.flagNames.joined(separator: ",")) (\(bits.source.rawValue))")
            case .failure(let failure):
                throw CommandFailure("KVM_X86_SNP_POLICY_BITS: \(failure.message)")
            }
        }
    }

    /// KVM's ASID ranges for SEV, SEV-ES and SEV-SNP guests.
    struct ASIDs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "asids",
            abstract: "KVM's ASID ranges: SEV, SEV-ES and SEV-SNP (split by ciphertext hiding where the kernel has it).",
            discussion: CommandExamples.text("sevhost show asids --host-root host", "sevhost show asids --json"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var host: HostRootOption
        @Flag(help: "Print the ranges as JSON (schema sevhost-show-asids/1).") var json = false

        func run() throws {
            let probe = try host.probe()
            guard let split = probe.asidSplit else { throw MemoryEncryptionUnavailable(reason: "CPUID 0x8000001F ECX is 0: the CPU reports no ASIDs") }
            if json {
                func range(_ r: ASIDSplit.Range) -> OrderedJSON {
                    .object([("lower", .uint(UInt64(r.lower))), ("upper", .uint(UInt64(r.upper))), ("count", .uint(UInt64(r.count)))])
                }
                let used = probe.asidsInUse
                print(JSONOutput.render(JSONOutput.schema("show-asids"), [
                    ("sev", range(split.sev)), ("sev-es", range(split.sevES)), ("sev-snp", range(split.snp)),
                    ("ciphertext-hiding", split.ciphertextHiding.map { .uint(UInt64($0)) } ?? .null),
                    ("in-use", used.map { .object([("sev", .int(Int64($0.sev))), ("sev-es-and-sev-snp", .int(Int64($0.sevES)))]) } ?? .null),
                ]), terminator: "")
                return
            }
            var lines = ["sev: \(split.sev)", "sev-es: \(split.sevES)", "sev-snp: \(split.snp)"]
            if let hidden = split.ciphertextHiding { lines.append("ciphertext-hiding: \(hidden)") }
            if let used = probe.asidsInUse { lines.append("in use: sev \(used.sev), sev-es and sev-snp \(used.sevES)") }
            print(lines.joined(separator: "\n"))
        }
    }

    /// The SEV firmware file the kernel sends the AMD-SP at boot, and what the log says of it.
    struct FirmwareFile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sev-firmware-file",
            abstract: "The SEV firmware file the kernel loads at boot, its version, and the kernel log's lines about it.",
            discussion: """
                The host's firmware commands say which version runs, not which one is committed \
                (SNP_COMMIT); an SNP attestation report does: --report FILE adds its COMMITTED and \
                CURRENT versions.
                """ + "\n\n" + CommandExamples.text("sevhost show sev-firmware-file", "sevhost show sev-firmware-file --report report.bin"))
        @OptionGroup var messages: OutputOptions
        @OptionGroup var host: HostRootOption

        @Option(help: ArgumentHelp("An SNP attestation report from a guest of this host (raw or hex), for the committed version.", valueName: "FILE"))
        var report: String?

        @Flag(help: "Print what was found as JSON (schema sevhost-show-sev-firmware-file/1).")
        var json = false

        func run() throws {
            // The report first: a bad one is refused before anything is printed.
            var reported: AttestationReport?
            if let report {
                let bytes: [UInt8]
                do { bytes = try ReportVerification.readReport(URL(fileURLWithPath: report)) } catch { throw CommandFailure(error.description) }
                do { reported = try AttestationReport(bytes: bytes) } catch { throw CommandFailure("\(report): \(error)") }
            }
            let probe = try host.probe()
            if json {
                print(JSONOutput.render(JSONOutput.schema("show-sev-firmware-file"), Self.fields(probe, reported: reported)), terminator: "")
                return
            }
            var lines: [String] = []
            if let file = probe.sevFirmwareFile() {
                lines.append("file: \(file.path) (\(file.version.map { "\($0)" } ?? "not a signed SEV firmware image"))")
            } else {
                let names = SEVFirmwareFile.candidateNames(family: probe.signature.family, model: probe.signature.model)
                lines.append("file: none (looked for \(names.joined(separator: ", ")) under /lib/firmware)")
            }
            if case .success(let status) = probe.sevPlatformStatus() { lines.append("running: \(status.version).\(status.build)") }
            if let reported {
                let committed = SEVFirmwareFile.Version(major: reported.committedMajor, minor: reported.committedMinor, build: reported.committedBuild)
                let current = SEVFirmwareFile.Version(major: reported.currentMajor, minor: reported.currentMinor, build: reported.currentBuild)
                lines.append("committed: \(committed) (the report's COMMITTED_MAJOR, _MINOR, _BUILD; it ran \(current))")
            }
            switch probe.kernelLog() {
            case .success(let log):
                let load = log.firmwareLoad
                lines.append("kernel log: \(load.loadedFile.map { "loaded \($0)" } ?? "no firmware load logged")\(load.updateSucceeded ? ", update successful" : "")\(load.apiVersion.map { ", SEV API \($0) build \(load.build.map(String.init) ?? "?")" } ?? "")")
            case .failure(let failure):
                lines.append("kernel log: \(failure)")
            }
            print(lines.joined(separator: "\n"))
        }

        /// The same facts as the text, as JSON: null where the host has no such fact.
        static func fields(_ probe: HostProbe, reported: AttestationReport?) -> [(String, OrderedJSON)] {
            func version(_ major: UInt8, _ minor: UInt8, _ build: UInt8) -> OrderedJSON { .string("\(major).\(minor).\(build)") }
            var fields: [(String, OrderedJSON)] = []
            if let file = probe.sevFirmwareFile() {
                fields.append(("file", .string(file.path)))
                fields.append(("file-version", file.version.map { .string("\($0)") } ?? .null))
            } else {
                fields += [("file", .null), ("file-version", .null)]
            }
            if case .success(let status) = probe.sevPlatformStatus() {
                fields.append(("running", .string("\(status.version).\(status.build)")))
            } else {
                fields.append(("running", .null))
            }
            fields.append(("committed", reported.map { version($0.committedMajor, $0.committedMinor, $0.committedBuild) } ?? .null))
            fields.append(("reported-current", reported.map { version($0.currentMajor, $0.currentMinor, $0.currentBuild) } ?? .null))
            if case .success(let log) = probe.kernelLog() {
                let load = log.firmwareLoad
                fields.append(("kernel-log", .object([
                    ("loaded-file", load.loadedFile.map { .string($0) } ?? .null), ("update-succeeded", .bool(load.updateSucceeded)),
                    ("api-version", load.apiVersion.map { .string($0) } ?? .null), ("build", load.build.map { .int(Int64($0)) } ?? .null),
                ])))
            } else {
                fields.append(("kernel-log", .null))
            }
            return fields
        }
    }
}
