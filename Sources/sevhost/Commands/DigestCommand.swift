import ArgumentParser
import AtomicFiles
import Foundation
import Orchestration
import SEVKit

/// `sevhost digest`: the launch digest the PSP will compute for a guest, from the guest
/// owner's side. Flags mirror sev-snp-measure's so scripts can switch tools unchanged.
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Compute the SEV, SEV-ES or SEV-SNP launch digest of a guest.",
        discussion: """
            Modes: sev, seves (or sev-es), snp, snp:ovmf-hash (the SNP digest of the firmware \
            alone, to pass later as --snp-ovmf-hash; always printed as hex, as sev-snp-measure \
            does), snp:svsm (Coconut-SVSM; needs --svsm and --vars-size or --vars-file). The \
            firmware must carry SEV metadata, and a kernel can only be measured by firmware with \
            an SEV hashes table (OVMF AmdSev builds); anything else is an error, never a digest.

            seves measures one VMSA per vCPU as KVM fills it, which depends on how the VM was \
            created (--vm-type, sevhost-spec(5) "VM TYPE"): legacy, the default, is what QEMU \
            creates unless its sev-guest says legacy-vm-type=off; sev-snp-measure's seves digest \
            is the init2 one.
            """ + "\n\n" + CommandExamples.text("sevhost digest --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf /usr/share/ovmf/OVMF.fd", "sevhost digest --mode sev --ovmf /usr/share/OVMF/OVMF_CODE.fd"))
    @OptionGroup var messages: OutputOptions

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case sev, seves, sevES = "sev-es", snp, snpOVMFHash = "snp:ovmf-hash", snpSVSM = "snp:svsm"

        /// The name sev-snp-measure prints with --verbose.
        var measureName: String {
            switch self {
            case .sev: "SEV"
            case .seves, .sevES: "SEV_ES"
            case .snp, .snpOVMFHash: "SEV_SNP"
            case .snpSVSM: "SEV_SNP_SVSM"
            }
        }
    }

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case hex, base64
    }

    @Option(help: "Guest mode: sev, seves, sev-es, snp, snp:ovmf-hash, snp:svsm.")
    var mode: Mode

    @Option(help: "Number of guest vCPUs (all modes but sev).")
    var vcpus: Int?

    @Option(name: .customLong("vcpu-type"), help: "QEMU vCPU model, e.g. EPYC-v4, EPYC-Milan, EPYC-Genoa.")
    var vcpuType: String?

    @Option(name: .customLong("vcpu-sig"), help: "vCPU CPUID signature (decimal or 0x hex).")
    var vcpuSig: String?

    @Option(name: .customLong("vcpu-family"), help: "vCPU family (with --vcpu-model and --vcpu-stepping).")
    var vcpuFamily: Int?

    @Option(name: .customLong("vcpu-model"), help: "vCPU model number.")
    var vcpuModel: Int?

    @Option(name: .customLong("vcpu-stepping"), help: "vCPU stepping.")
    var vcpuStepping: Int?

    @Option(name: .customLong("vmm-type"), help: "Hypervisor, as sev-snp-measure spells it: QEMU, ec2 or gce (any case; ec2 as sev-snp-measure 0.0.13 defines it: RDX 0x600).")
    var vmmType: String = "QEMU"

    @Option(name: .customLong("vm-type"), help: ArgumentHelp(
        "How KVM created the SEV-ES VM: legacy (KVM_SEV_ES_INIT, x87/SSE control words zero: what QEMU does unless legacy-vm-type=off, and libvirt's validator) or init2 (KVM_SEV_INIT2: sev-snp-measure's seves). Default legacy.",
        valueName: "legacy|init2"))
    var vmType: SEVVMType?

    @Option(help: "OVMF firmware image.")
    var ovmf: String

    @Option(help: "Kernel given to QEMU with -kernel.")
    var kernel: String?

    @Option(help: "Initrd given to QEMU with -initrd (needs --kernel).")
    var initrd: String?

    @Option(help: "Kernel command line given to QEMU with -append (needs --kernel).")
    var append: String?

    @Option(name: .customLong("guest-features"), help: "SNP guest features (VMSA SEV_FEATURES), decimal or 0x hex.")
    var guestFeatures: String = "0x1"

    @Option(name: .customLong("output-format"), help: "hex or base64.")
    var outputFormat: OutputFormat = .hex

    @Option(name: .customLong("snp-ovmf-hash"), help: "Precomputed SNP firmware hash (hex, from --mode snp:ovmf-hash).")
    var snpOVMFHash: String?

    @Flag(name: .customLong("dump-vmsa"), help: "Write the measured VMSA pages to vmsa<N>.bin in the current directory.")
    var dumpVMSA = false

    @Option(help: "Coconut-SVSM image (snp:svsm).")
    var svsm: String?

    @Option(name: .customLong("vars-size"), help: "Size of the OVMF variable store in bytes (snp:svsm).")
    var varsSize: UInt64?

    @Option(name: .customLong("vars-file"), help: "OVMF variable store file, for its size (snp:svsm).")
    var varsFile: String?

    @Flag(help: "Print the measurement and the mode as JSON (schema sevhost-digest/1).")
    var json = false

    @Flag(name: .shortAndLong, help: "Say which measurement is printed.")
    var verbose = false

    func validate() throws {
        if initrd != nil, kernel == nil { throw ValidationError("--initrd needs --kernel") }
        if append != nil, kernel == nil { throw ValidationError("--append needs --kernel") }
        if mode != .sev, mode != .snpOVMFHash, vcpus == nil {
            throw ValidationError("missing --vcpus N in guest mode '\(mode.rawValue)'")
        }
        if let vcpus, !(1...LaunchDigest.maximumVCPUs).contains(vcpus) {
            throw ValidationError("--vcpus must be from 1 to \(LaunchDigest.maximumVCPUs), got \(vcpus)")
        }
        if let varsSize, varsSize == 0 || varsSize % 4096 != 0 {
            throw ValidationError("--vars-size must be a positive multiple of 4096 bytes, got \(varsSize)")
        }
        if snpOVMFHash != nil, mode != .snp { throw ValidationError("--snp-ovmf-hash only works with --mode snp") }
        if dumpVMSA, [.sev, .snpOVMFHash].contains(mode) {
            throw ValidationError("--dump-vmsa is only available in modes seves, snp and snp:svsm")
        }
        if VMMType(name: vmmType) == nil {
            throw ValidationError("unknown --vmm-type '\(vmmType)' (expected QEMU, ec2 or gce)")
        }
        if vmType != nil, ![.sev, .seves, .sevES].contains(mode) {
            throw ValidationError("--vm-type only applies to modes sev and seves: KVM creates every SNP guest with KVM_SEV_INIT2")
        }
        if let vcpuType, VCPUType.named(vcpuType) == nil {
            throw ValidationError("unknown --vcpu-type '\(vcpuType)' (expected one of \(VCPUType.known.map(\.name).joined(separator: ", ")))")
        }
        let fms = [vcpuFamily, vcpuModel, vcpuStepping].compactMap { $0 }.count
        if fms != 0, fms != 3 {
            throw ValidationError("--vcpu-family, --vcpu-model and --vcpu-stepping go together")
        }
        if let vcpuFamily, let vcpuModel, let vcpuStepping,
           let problem = VCPUType.outOfRange(
               family: vcpuFamily, model: vcpuModel, stepping: vcpuStepping,
               names: ("--vcpu-family", "--vcpu-model", "--vcpu-stepping")) {
            throw ValidationError(problem)
        }
        if mode == .snpSVSM {
            guard svsm != nil else { throw ValidationError("snp:svsm mode requires --svsm") }
            guard (varsSize != nil) != (varsFile != nil) else {
                throw ValidationError("snp:svsm mode requires exactly one of --vars-size or --vars-file")
            }
            if kernel != nil { throw ValidationError("snp:svsm mode does not measure a kernel; drop --kernel") }
            if VMMType(name: vmmType) != .qemu { throw ValidationError("snp:svsm mode is only defined for QEMU") }
        } else if svsm != nil || varsSize != nil || varsFile != nil {
            throw ValidationError("--svsm, --vars-size and --vars-file only apply to --mode snp:svsm")
        }
    }

    func run() async throws {
        let vmm = VMMType(name: vmmType) ?? .qemu
        let firmware = try DigestInputs.firmware(ovmf)
        let digest: [UInt8]
        var vmsaPages: [[UInt8]] = []

        do {
            switch mode {
            case .snpOVMFHash:
                digest = try LaunchDigest.snpOVMFHash(firmware: firmware)
            case .sev:
                let table = try await hashTable()
                digest = try LaunchDigest.sev(firmware: firmware, hashTable: table)
            case .seves, .sevES:
                let table = try await hashTable()
                let result = try LaunchDigest.sevES(
                    firmware: firmware, hashTable: table, vcpus: vcpus ?? 1,
                    vcpuSignature: try signature(vmm: vmm), vmm: vmm, vmType: vmType ?? SEVVMType.qemuDefault)
                (digest, vmsaPages) = (result.digest, result.vmsaPages)
            case .snp:
                let table = try await hashTable()
                let seed = try snpOVMFHash.map { text throws(CommandFailure) -> [UInt8] in
                    guard let bytes = Hex.decode(text) else {
                        throw CommandFailure("--snp-ovmf-hash: expected 96 hex digits, got '\(text)'")
                    }
                    return bytes
                }
                let result = try LaunchDigest.snp(
                    firmware: firmware, hashTable: table, vcpus: vcpus ?? 1,
                    vcpuSignature: try signature(vmm: vmm), guestFeatures: try features(), vmm: vmm, ovmfHash: seed)
                (digest, vmsaPages) = (result.digest, result.vmsaPages)
            case .snpSVSM:
                let svsmPath = svsm ?? ""
                let svsmImage = try DigestInputs.firmware(svsmPath)
                let size = try varsFile.map { path throws(MeasurementFileError) in try MeasurementFiles.size(path) } ?? varsSize ?? 0
                guard svsmImage.hasSEVMetadata else {
                    throw CommandFailure("\(svsmPath): \(LaunchDigestError.noSEVMetadata)")
                }
                guard svsmImage.entry(OVMFFooterGUID.svsmInfo) != nil else {
                    throw CommandFailure("\(svsmPath): \(LaunchDigestError.noSVSMInfo)")
                }
                let result = try LaunchDigest.snpSVSM(
                    firmware: firmware, svsm: svsmImage, varsSize: size, vcpus: vcpus ?? 1,
                    vcpuSignature: try signature(vmm: vmm))
                (digest, vmsaPages) = (result.digest, result.vmsaPages)
            }
        } catch let error as LaunchDigestError {
            throw CommandFailure("\(ovmf): \(error)")
        } catch let error as MeasurementFileError {
            throw CommandFailure(error.description)
        }

        if dumpVMSA {
            for (index, page) in vmsaPages.enumerated() {
                do {
                    try AtomicFile.write(page, to: "vmsa\(index).bin")
                } catch {
                    throw CommandFailure(error.description)
                }
            }
        }

        // sev-snp-measure prints the snp:ovmf-hash seed as hex whatever --output-format says
        // (it is --snp-ovmf-hash's input format).
        let text = outputFormat == .hex || mode == .snpOVMFHash ? Hex.encode(digest) : Data(digest).base64EncodedString()
        if json {
            print(JSONOutput.render(JSONOutput.schema("digest"), [
                ("mode", .string(mode.rawValue)), ("measurement", .string(text)),
            ]), terminator: "")
        } else {
            print(verbose ? "Calculated \(mode.measureName) guest measurement: \(text)" : text)
        }
    }

    private func hashTable() async throws(MeasurementFileError) -> SEVHashTable? {
        guard let kernel else { return nil }
        return try await MeasurementFiles.hashTable(
            kernel: kernel, initrd: initrd, commandLine: append, progress: HashingProgress.onTerminal())
    }

    /// The vCPU signature, chosen as sev-snp-measure does: family/model/stepping, then
    /// --vcpu-sig, then --vcpu-type. EC2 and GCE fix RDX themselves, so they need none.
    private func signature(vmm: VMMType) throws(CommandFailure) -> UInt32 {
        if let vcpuFamily, let vcpuModel, let vcpuStepping {
            return VCPUType.signature(family: vcpuFamily, model: vcpuModel, stepping: vcpuStepping)
        }
        if let vcpuSig {
            guard let sig = try? IntegerText.parse(vcpuSig, as: UInt32.self) else {
                throw CommandFailure("--vcpu-sig: expected a 32-bit integer (decimal or 0x hex), got '\(vcpuSig)'")
            }
            return sig
        }
        if let vcpuType, let type = VCPUType.named(vcpuType) { return type.signature }
        if vmm == .qemu {
            throw CommandFailure("missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode '\(mode.rawValue)'")
        }
        return 0
    }

    private func features() throws(CommandFailure) -> UInt64 {
        guard let value = try? IntegerText.parse(guestFeatures, as: UInt64.self) else {
            throw CommandFailure("--guest-features: expected an integer (decimal or 0x hex), got '\(guestFeatures)'")
        }
        return value
    }
}

/// Progress lines for hashing large kernels and initrds, on stderr when it is a terminal (and
/// neither TERM=dumb nor `-q`): a line per 256 MiB, so a multi-GiB initrd does not look like a
/// hang.
enum HashingProgress {
    static let step: Int64 = 256 << 20

    static func onTerminal() -> (@Sendable (String, Int64, Int64) -> Void)? {
        guard OutputPolicy.showsProgress else { return nil }
        return { file, done, size in
            guard size >= step, done % step == 0 || done == size else { return }
            CLIFiles.stderr("hashing \(file): \(done >> 20) of \(size >> 20) MiB")
        }
    }
}

/// Input parsing shared by `digest` and `vmsa`.
enum DigestInputs {
    /// Reads and parses a firmware image, naming the file in any error.
    static func firmware(_ path: String) throws(CommandFailure) -> OVMFImage {
        do {
            return try OVMFImage(bytes: MeasurementFiles.contents(path))
        } catch let error as MeasurementFileError {
            throw CommandFailure(error.description)
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    }
}

/// `--vm-type legacy|init2` of `digest` and `vmsa build`.
extension SEVVMType: ExpressibleByArgument {}
