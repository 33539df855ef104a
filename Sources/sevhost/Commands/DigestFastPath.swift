import ArgumentParser

/// `sevhost digest` without ArgumentParser's machinery, for the plain form scripts use
/// (`digest --name value ... [--dump-vmsa] [--verbose]`).
///
/// WHY: ArgumentParser finds `digest`'s 22 options by reflection, which instantiates generic
/// metadata and scans every protocol conformance in the executable; that was about a quarter of
/// a `sevhost digest` run, as much as hashing the firmware (BENCHMARKS.md, "Launch digests").
///
/// It only takes what it is sure of: every option once, as `--name value`, with a value that
/// does not start with `-` and converts as ArgumentParser would convert it. Anything else (help,
/// `--name=value`, a repeated or unknown option, a missing `--ovmf`, a value that does not
/// convert, a failed `validate()`) returns nil, and the caller parses with ArgumentParser as
/// always, so every message and exit status stay ArgumentParser's own. The digests themselves
/// come from the same `run()`, checked against sev-snp-measure by DigestPeerTests.
enum DigestFastPath {
    static func command(_ arguments: ArraySlice<String>) -> DigestCommand? {
        guard arguments.first == "digest" else { return nil }
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            switch name {
            case "--dump-vmsa", "--verbose", "-v":
                let key = name == "-v" ? "--verbose" : name
                guard flags.insert(key).inserted else { return nil }
            case _ where valueOptions.contains(name):
                guard let value = rest.popFirst(), !value.hasPrefix("-"), values[name] == nil else { return nil }
                values[name] = value
            default:
                return nil
            }
        }
        guard let ovmf = values["--ovmf"], let modeText = values["--mode"],
            let mode = DigestCommand.Mode(argument: modeText)
        else { return nil }

        guard let vcpus = convert(values["--vcpus"], to: Int.self),
            let vcpuFamily = convert(values["--vcpu-family"], to: Int.self),
            let vcpuModel = convert(values["--vcpu-model"], to: Int.self),
            let vcpuStepping = convert(values["--vcpu-stepping"], to: Int.self),
            let varsSize = convert(values["--vars-size"], to: UInt64.self)
        else { return nil }
        // Every property is assigned (never read) here: a parsable type's properties hold no
        // value until parsing or an assignment gives them one.
        var command = DigestCommand()
        command.mode = mode
        command.ovmf = ovmf
        command.vcpus = vcpus
        command.vcpuFamily = vcpuFamily
        command.vcpuModel = vcpuModel
        command.vcpuStepping = vcpuStepping
        command.varsSize = varsSize
        command.vcpuType = values["--vcpu-type"]
        command.vcpuSig = values["--vcpu-sig"]
        command.vmmType = values["--vmm-type"] ?? "QEMU"
        command.kernel = values["--kernel"]
        command.initrd = values["--initrd"]
        command.append = values["--append"]
        command.guestFeatures = values["--guest-features"] ?? "0x1"
        if let text = values["--output-format"] {
            guard let format = DigestCommand.OutputFormat(argument: text) else { return nil }
            command.outputFormat = format
        } else {
            command.outputFormat = .hex
        }
        command.snpOVMFHash = values["--snp-ovmf-hash"]
        command.svsm = values["--svsm"]
        command.varsFile = values["--vars-file"]
        command.dumpVMSA = flags.contains("--dump-vmsa")
        command.verbose = flags.contains("--verbose")
        guard (try? command.validate()) != nil else { return nil }
        return command
    }

    /// The options that take a value; the defaults above mirror DigestCommand's declarations.
    private static let valueOptions: Set<String> = [
        "--mode", "--vcpus", "--vcpu-type", "--vcpu-sig", "--vcpu-family", "--vcpu-model",
        "--vcpu-stepping", "--vmm-type", "--ovmf", "--kernel", "--initrd", "--append",
        "--guest-features", "--output-format", "--snp-ovmf-hash", "--svsm", "--vars-size", "--vars-file",
    ]

    /// `.some(nil)` when absent; `nil` when present but not convertible the way ArgumentParser
    /// converts it.
    private static func convert<Value: ExpressibleByArgument>(_ text: String?, to: Value.Type) -> Value?? {
        guard let text else { return .some(nil) }
        guard let value = Value(argument: text) else { return nil }
        return .some(value)
    }
}
