import Foundation
import Launch
import SEVKit
import SEVPlatform

/// `sevhost check`: a libvirt domain or a QEMU command line that sevhost did not write, checked
/// by every rule the launch builder applies to a spec and by what QEMU, KVM and the firmware will
/// refuse, against this host or a captured one.
///
/// The flow composes the layers below: `Launch` reads the input (`LibvirtDomainXML`,
/// `QEMUArgv` → `LaunchDescription`) and holds the rules (`LaunchRules`); `SEVPlatform` answers
/// for the host (`HostProbe`: C-bit, KVM's accepted SNP policy bits, SMT, firmware version,
/// kvm_amd switches, ASIDs); `SEVKit` reads the firmware image and predicts the SNP launch
/// digest an ID block must carry.
public struct LaunchCheck: Sendable {
    /// What was checked: a domain file or a command line.
    public enum Input: Sendable {
        case libvirt(text: String, file: String)
        case qemu(arguments: [String], source: String)
    }

    public var probe: HostProbe

    public init(probe: HostProbe) {
        self.probe = probe
    }

    /// Bounds a domain or argv file: far larger than any real one.
    public static let inputLimit = 4 << 20

    /// Reads `path`: XML when its first non-blank character is `<`, else a shell-quoted
    /// command line (as `sevhost launch --print qemu` prints one).
    public static func input(file path: String) throws(LaunchFailure) -> Input {
        let bytes: [UInt8]
        do {
            bytes = try MeasurementFiles.contents(path)
        } catch {
            throw LaunchFailure(error.description)
        }
        guard bytes.count <= inputLimit else { throw LaunchFailure("\(path): larger than \(inputLimit) bytes: not a domain or a command line") }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.drop(while: \.isWhitespace).hasPrefix("<") { return .libvirt(text: text, file: path) }
        do {
            return .qemu(arguments: try QEMUArgv.words(ofShellText: text), source: path)
        } catch {
            throw LaunchFailure("\(path): \(error.description)")
        }
    }

    /// Every finding for `input`.
    public func run(_ input: Input) async throws(LaunchFailure) -> LaunchCheckReport {
        let description: LaunchDescription
        let source: String
        do {
            switch input {
            case .libvirt(let text, let file):
                source = file
                description = LaunchDescription(libvirt: try LibvirtDomainXML(text: text))
            case .qemu(let arguments, let origin):
                source = origin
                description = try LaunchDescription(qemu: QEMUArgv(arguments: arguments))
            }
        } catch {
            throw LaunchFailure("\(Self.sourceName(input)): \(error.description)")
        }
        let (facts, image, problem) = readFirmware(description.firmwarePath)
        var digest: Result<[UInt8], LaunchCheckInputError>?
        if description.type == .sevSNP, description.idBlock != nil {
            digest = await predictSNPDigest(description, image: image, problem: problem)
        }
        let rules = LaunchRules(launch: description, host: hostFacts(), firmware: facts, firmwareProblem: problem, snpDigest: digest)
        return LaunchCheckReport(source: source, format: description.format, type: description.type,
                                 host: probe.root.isCaptured ? probe.root.directory : nil, findings: rules.evaluate())
    }

    private static func sourceName(_ input: Input) -> String {
        switch input {
        case .libvirt(_, let file): file
        case .qemu(_, let source): source
        }
    }

    /// The host facts the rules need, each nil when the probe cannot say.
    func hostFacts() -> LaunchCheckHost {
        var host = LaunchCheckHost()
        host.sev = try? HostSEVParameters(probe: probe)
        host.snpPolicyBits = try? probe.snpPolicyBits().get()
        host.smtActive = probe.smtActive
        if case .success(let status) = probe.sevPlatformStatus() {
            host.firmwareVersion = SEVFirmwareFile.Version(major: status.apiMajor, minor: status.apiMinor, build: status.build)
        }
        if probe.root.list("sys/module/kvm_amd/parameters") != nil {
            for (generation, parameter) in [(SEVGeneration.sev, "sev"), (.es, "sev_es"), (.snp, "sev_snp")] {
                let text = (try? probe.text("sys/module/kvm_amd/parameters/\(parameter)").get()) ?? "N"
                host.kvmEnabled[generation] = ["1", "Y"].contains(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        if let split = probe.asidSplit {
            let used = probe.asidsInUse
            for generation in SEVGeneration.allCases {
                let range = split.range(for: generation).count
                if range == 0 {
                    host.asidsLeft[generation] = 0
                } else if let used {
                    host.asidsLeft[generation] = Int(range) - (generation == .sev ? used.sev : used.sevES)
                }
            }
        }
        host.qemu = probe.qemu().version.flatMap(QEMUVersion.init)
        return host
    }

    /// The firmware the input names, from the captured host when checking one (a capture holds
    /// each OVMF image's tail, which carries every fact the rules read) or from this machine.
    func readFirmware(_ path: String?) -> (FirmwareFacts?, OVMFImage?, String?) {
        guard let path else { return (nil, nil, nil) }
        let bytes: [UInt8]
        if probe.root.isCaptured {
            let relative = String(path.drop { $0 == "/" })
            guard case .success(let tail) = probe.root.readTail(relative, count: OVMFCatalog.tailSize) else {
                return (nil, nil, "\(path) is not in the captured host")
            }
            bytes = tail
        } else {
            do {
                bytes = try MeasurementFiles.contents(path)
            } catch {
                return (nil, nil, error.description)
            }
        }
        do {
            let image = try OVMFImage(bytes: bytes)
            return (FirmwareFacts(ovmf: image), probe.root.isCaptured ? nil : image, nil)
        } catch {
            return (nil, nil, "\(path): \(error.description)")
        }
    }

    /// The SNP launch digest the firmware computes for these inputs (SEVKit's `LaunchDigest`,
    /// the one sev-snp-measure agrees with), or why it cannot be predicted here.
    func predictSNPDigest(_ launch: LaunchDescription, image: OVMFImage?, problem: String?) async -> Result<[UInt8], LaunchCheckInputError> {
        guard let image else {
            let why = probe.root.isCaptured ? "a captured host holds only the firmware's tail" : problem ?? "no firmware file is named"
            return .failure(LaunchCheckInputError(why))
        }
        guard let model = launch.cpuModel, let vcpu = VCPUType.named(model) else {
            return .failure(LaunchCheckInputError("the vCPU model '\(launch.cpuModel ?? "(QEMU's default)")' has no known CPUID signature; name one such as EPYC-v4"))
        }
        var table: SEVHashTable?
        if launch.kernelHashes, let kernel = launch.kernel {
            do {
                table = try await MeasurementFiles.hashTable(kernel: kernel, initrd: launch.initrd, commandLine: launch.append)
            } catch {
                return .failure(LaunchCheckInputError(error.description))
            }
        }
        do {
            let result = try LaunchDigest.snp(firmware: image, hashTable: table, vcpus: launch.vcpus, vcpuSignature: vcpu.signature,
                                              guestFeatures: 1, vmm: .qemu)
            return .success(result.digest)
        } catch {
            return .failure(LaunchCheckInputError(error.description))
        }
    }
}

/// The findings for one input, and how `check` prints them.
public struct LaunchCheckReport: Sendable, Equatable {
    public var source: String
    public var format: LaunchDescription.Format
    public var type: ConfidentialType?
    /// The captured host checked against; nil for this machine.
    public var host: String?
    public var findings: [LaunchFinding]

    /// True when nothing would stop the launch: the exit status of `check`.
    public var passes: Bool { !findings.contains { $0.severity == .error } }

    /// One block per finding: `ERROR rule: location: problem` and an indented fix; then a summary.
    public var text: String {
        var lines: [String] = []
        for finding in findings {
            lines.append("\(finding.severity.rawValue.uppercased()) \(finding.rule): \(finding.location): \(finding.problem)")
            if let fix = finding.fix { lines.append("  fix: \(fix)") }
        }
        let errors = findings.filter { $0.severity == .error }.count
        let warnings = findings.filter { $0.severity == .warning }.count
        let what = "\(type?.rawValue ?? "unencrypted") launch (\(format.rawValue))"
        lines.append(passes
            ? "\(source): the \(what) would pass (\(warnings) warning\(warnings == 1 ? "" : "s"))"
            : "\(source): the \(what) would fail: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `sevhost-check/1`: the input, the host, the verdict and every finding.
    public var json: String {
        struct Document: Encodable {
            var schema = "sevhost-check/1"
            var source: String
            var format: String
            var type: String?
            var host: String
            var passes: Bool
            var findings: [LaunchFinding]
        }
        let document = Document(source: source, format: format.rawValue, type: type?.rawValue, host: host ?? "/", passes: passes, findings: findings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self) + "\n"
    }
}
