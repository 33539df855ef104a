import ArgumentParser
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
            VLEKURLCommand.self, HashsticksURLCommand.self,
        ])

    /// The C-bit position, QEMU's `cbitpos`.
    struct CBitPosition: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cbitpos", abstract: "The C-bit position (CPUID 0x8000001F EBX[5:0]), QEMU's cbitpos.",
            discussion: CommandExamples.text("sevhost show cbitpos", "sevhost show cbitpos --host-root host"))
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
        @OptionGroup var host: HostRootOption

        func run() throws {
            let probe = try host.probe()
            let signature = probe.signature
            guard let product = probe.product else {
                throw MemoryEncryptionUnavailable(
                    reason: "\(probe.vendor) family 0x\(String(signature.family, radix: 16)) model 0x\(String(signature.model, radix: 16)) is not an SEV-capable EPYC")
            }
            print("\(product.rawValue) (\(product.newestGeneration.displayName))")
        }
    }
}
