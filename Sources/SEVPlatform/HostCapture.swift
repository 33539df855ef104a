import Foundation
import SEVKit

/// Writes the live host into the captured-host format, so that `sevhost ok --host-root DIR`
/// on another machine gives the result `sevhost ok` gives here (a user attaches DIR to a bug
/// report; tests keep captures as fixtures).
///
/// Only what the probe reads is captured. OVMF images are cut to their last
/// `OVMFCatalog.tailSize` bytes, which hold everything the probe reads of them.
public enum HostCapture {
    /// Plain files copied as they are.
    static let files = ["proc/cpuinfo", "proc/cmdline", "proc/sys/kernel/osrelease", "proc/self/limits"]

    /// Captures `source` (the live host) into `directory`, which must not exist yet or be empty.
    /// All or nothing: the capture is assembled in a temporary sibling and renamed into place.
    public static func capture(from source: HostRoot = .live, probe: HostProbe, into directory: String) throws(HostProbeError) {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        if let existing = try? fm.contentsOfDirectory(atPath: target.path), !existing.isEmpty {
            throw HostProbeError(file: directory, reason: "exists and is not empty; capture into a new directory")
        }
        let staging = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).capture-\(getpid())")
        do {
            try? fm.removeItem(at: staging)
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            try write(source: source, probe: probe, into: staging)
            try? fm.removeItem(at: target)
            try fm.moveItem(at: staging, to: target)
        } catch let error as HostProbeError {
            try? fm.removeItem(at: staging)
            throw error
        } catch {
            try? fm.removeItem(at: staging)
            throw HostProbeError(file: directory, reason: error.localizedDescription)
        }
    }

    private static func write(source: HostRoot, probe: HostProbe, into staging: URL) throws {
        func put(_ relative: String, _ bytes: [UInt8]) throws {
            let url = staging.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        func copy(_ relative: String) throws {
            if case .success(let bytes) = source.readBytes(relative) { try put(relative, bytes) }
        }
        for file in files + ["sys/devices/system/cpu/smt/active", "sys/fs/cgroup/misc.current", "sys/fs/cgroup/misc.capacity"] { try copy(file) }
        if case .success(let log) = probe.kernelLog() {
            let lines = log.sevLines
            try put(CapturedFile.kernelLog, Array(lines.joined(separator: "\n").utf8) + (lines.isEmpty ? [] : [0x0a]))
        }
        if let found = probe.sevFirmwareFile() {
            // Only the header: it holds the version, and the image itself is AMD's to ship.
            let relative = String(found.path.dropFirst())
            if case .success(let header) = source.readHead(relative, count: SEVFirmwareFile.headerSize) { try put(relative, header) }
        }
        for parameter in source.list("sys/module/kvm_amd/parameters") ?? [] {
            try copy("sys/module/kvm_amd/parameters/\(parameter)")
        }
        if source.exists("sys/module/msr") { try put("sys/module/msr/present", []) }
        for unit in source.list("sys/class/iommu") ?? [] { try put("sys/class/iommu/\(unit)", []) }
        for group in source.list("sys/kernel/iommu_groups") ?? [] {
            try copy("sys/kernel/iommu_groups/\(group)/type")
        }
        for image in OVMFCatalog.find(in: source) {
            let relative = String(image.path.dropFirst())
            if case .success(let tail) = source.readTail(relative, count: OVMFCatalog.tailSize) { try put(relative, tail) }
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        func putJSON(_ file: String, _ value: some Encodable) throws { try put(file, Array(try encoder.encode(value)) + [0x0a]) }

        let leaves = CPUIDLeaf.captured.map { leaf -> CapturedCPUID.Leaf in
            let r = probe.cpuid(leaf)
            return .init(leaf: HexNumber(leaf), subleaf: HexNumber(0), eax: HexNumber(r.eax), ebx: HexNumber(r.ebx),
                         ecx: HexNumber(r.ecx), edx: HexNumber(r.edx))
        }
        try putJSON(CapturedFile.cpuid, CapturedCPUID(leaves: leaves))

        var registers = [String: HexNumber<UInt64>]()
        var unavailable: String?
        for register in [MSR.syscfg, MSR.rmpBase, MSR.rmpEnd] {
            switch probe.msr(register) {
            case .success(let value): registers["0x" + String(register, radix: 16)] = HexNumber(value)
            case .failure(let failure): unavailable = unavailable ?? failure.message
            }
        }
        try putJSON(CapturedFile.msr, registers.isEmpty ? CapturedMSRs(registers: nil, unavailable: unavailable) : CapturedMSRs(registers: registers))
        try putJSON(CapturedFile.devices, CapturedDevices(nodes: [
            "/dev/sev": probe.device("/dev/sev"), "/dev/kvm": probe.device("/dev/kvm"),
        ]))
        try putJSON(CapturedFile.firmware, CapturedFirmware(
            platformStatus: probe.sevPlatformStatus(), snpPlatformStatus: probe.snpPlatformStatus()))
        try putJSON(CapturedFile.tools, CapturedTools(qemu: probe.qemu()))
    }
}
