import ArgumentParser
import AtomicFiles
import BoundedFiles
import Orchestration
import SEVKit

/// `sevhost vmsa build|show`: the initial VMSA page of one vCPU, as `sevctl vmsa` does it.
struct VMSACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmsa",
        abstract: "Build or show the initial VMSA page of an SEV-ES or SEV-SNP vCPU.",
        discussion: CommandExamples.text("sevhost vmsa show vmsa1.bin"),
        subcommands: [Build.self, Show.self])

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Write the 4096-byte VMSA page vCPU N starts with.",
            discussion: """
                Same arguments as `sevctl vmsa build`. For sev-es, --vm-type says how KVM created \
                the VM: legacy (the default, what QEMU does unless told otherwise) leaves the x87/SSE \
                control words zero and is byte-identical to sevctl's page; init2 (KVM_SEV_INIT2) \
                carries their reset values (FCW 0x37F, MXCSR 0x1F80), as sev-snp-measure's seves \
                and every snp page do.
                """ + "\n\n" + CommandExamples.text("sevhost vmsa build vmsa1.bin --cpu 1 --family 25 --model 1 --stepping 1 --firmware /usr/share/ovmf/OVMF.fd"))
        @OptionGroup var messages: OutputOptions

        @Argument(help: "Output file.")
        var file: String

        @Option(help: "vCPU index: 0 is the BSP, others start at the firmware's SEV-ES reset address.")
        var cpu: Int = 0

        @Option(help: "OVMF image (needed for cpu > 0: it holds the AP reset address).")
        var firmware: String?

        @Option(help: "vCPU family (with --model and --stepping).")
        var family: Int?

        @Option(help: "vCPU model.")
        var model: Int?

        @Option(help: "vCPU stepping.")
        var stepping: Int?

        @Option(name: .customLong("vcpu-type"), help: "QEMU vCPU model instead of family/model/stepping.")
        var vcpuType: String?

        @Option(name: .customLong("vcpu-sig"), help: "vCPU CPUID signature instead of family/model/stepping.")
        var vcpuSig: String?

        @Option(help: "Userspace VMM (sevctl spelling): qemu.")
        var userspace: String = "qemu"

        @Option(name: .customLong("vmm-type"), help: "Hypervisor: QEMU, EC2 or GCE.")
        var vmmType: String?

        @Option(help: "sev-es (SEV_FEATURES 0) or snp (SEV_FEATURES = --guest-features).")
        var mode: String = "sev-es"

        @Option(name: .customLong("guest-features"), help: "SNP guest features, decimal or 0x hex (snp mode).")
        var guestFeatures: String = "0x1"

        @Option(name: .customLong("vm-type"), help: ArgumentHelp(
            "sev-es: how KVM created the VM, legacy (KVM_SEV_ES_INIT) or init2 (KVM_SEV_INIT2). Default legacy.",
            valueName: "legacy|init2"))
        var vmType: SEVVMType?

        func validate() throws {
            guard userspace.lowercased() == "qemu" else {
                throw ValidationError("--userspace: only qemu is supported, got '\(userspace)'")
            }
            if let vmmType, VMMType(name: vmmType) == nil {
                throw ValidationError("unknown --vmm-type '\(vmmType)' (expected QEMU, EC2 or GCE)")
            }
            guard ["sev-es", "seves", "snp"].contains(mode) else {
                throw ValidationError("--mode must be sev-es or snp, got '\(mode)'")
            }
            if vmType != nil, mode == "snp" {
                throw ValidationError("--vm-type only applies to sev-es: KVM creates every SNP guest with KVM_SEV_INIT2")
            }
            guard cpu >= 0 else { throw ValidationError("--cpu must not be negative") }
            if cpu > 0, firmware == nil { throw ValidationError("--cpu \(cpu) needs --firmware for the AP reset address") }
            if let vcpuType, VCPUType.named(vcpuType) == nil {
                throw ValidationError("unknown --vcpu-type '\(vcpuType)'")
            }
            let fms = [family, model, stepping].compactMap { $0 }.count
            if fms != 0, fms != 3 { throw ValidationError("--family, --model and --stepping go together") }
            if let family, let model, let stepping,
               let problem = VCPUType.outOfRange(family: family, model: model, stepping: stepping, names: ("--family", "--model", "--stepping")) {
                throw ValidationError(problem)
            }
            let vmm = vmmType.flatMap(VMMType.init(name:)) ?? .qemu
            if vmm == .qemu, fms == 0, vcpuType == nil, vcpuSig == nil {
                throw ValidationError("the vCPU's signature is measured (RDX at reset): give --family, --model and --stepping, --vcpu-type or --vcpu-sig")
            }
        }

        func run() async throws {
            let vmm = vmmType.flatMap(VMMType.init(name:)) ?? .qemu
            var signature: UInt32 = 0
            if let family, let model, let stepping {
                signature = VCPUType.signature(family: family, model: model, stepping: stepping)
            } else if let vcpuSig {
                guard let sig = try? IntegerText.parse(vcpuSig, as: UInt32.self) else {
                    throw CommandFailure("--vcpu-sig: expected a 32-bit integer, got '\(vcpuSig)'")
                }
                signature = sig
            } else if let vcpuType, let type = VCPUType.named(vcpuType) {
                signature = type.signature
            }
            var features: UInt64 = 0
            if mode == "snp" {
                guard let value = try? IntegerText.parse(guestFeatures, as: UInt64.self) else {
                    throw CommandFailure("--guest-features: expected an integer, got '\(guestFeatures)'")
                }
                features = value
            }
            var resetAddress = InitialVMSA.bspResetAddress
            if cpu > 0, let firmware {
                let image = try DigestInputs.firmware(firmware)
                guard let address = image.sevESResetAddress else {
                    throw CommandFailure("\(firmware): \(LaunchDigestError.noSEVESResetBlock)")
                }
                resetAddress = address
            }
            // SNP VMs are always created with KVM_SEV_INIT2.
            let type = mode == "snp" ? SEVVMType.init2 : vmType ?? SEVVMType.qemuDefault
            let page = InitialVMSA.page(
                resetAddress: resetAddress, sevFeatures: mode == "snp" ? features : type.sevESFeatures,
                vcpuSignature: signature, vmm: vmm, fpu: type.vmsaFPU)
            do {
                try AtomicFile.write(page.bytes, to: file)
            } catch {
                throw CommandFailure(error.description)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print a VMSA page's fields as JSON (sevctl's layout).",
            discussion: "--extended adds the SNP VMPL and SEV_FEATURES, the x87/SSE control words and any other non-zero byte sevctl's layout does not show." + "\n\n" + CommandExamples.text("sevhost vmsa show vmsa1.bin --extended"))
        @OptionGroup var messages: OutputOptions

        @Argument(help: "VMSA page file (4096 bytes).")
        var file: String

        @Flag(help: "Also show fields beyond sevctl's layout.")
        var extended = false

        func run() async throws {
            do {
                let page = try MeasurementFiles.contents(file, .vmsa)
                print(try VMSALayout.json(page: page, extended: extended), terminator: "")
            } catch let error as MeasurementFileError {
                throw CommandFailure(error.description)
            } catch {
                throw CommandFailure("\(file): \(error)")
            }
        }
    }
}
