import QMP
import SEVKit

/// What the real QEMU made of the command line, read back from it over the front's own
/// monitor once it has built the machine: everything the simulated AMD-SP measures.
///
/// Asking QEMU instead of parsing the argv again means each value is the one QEMU itself
/// decided: `policy=5` and `policy=0x5`, `-smp sockets=2,cores=2`, `-cpu EPYC-v4,family=25`,
/// a `-blockdev` behind `-machine pflash0=` all come out as QEMU took them, and nothing falls
/// back to a sevhost default.
public struct QEMUGuestFacts: Sendable {
    /// The confidential-guest object's properties, as `qom-get` returns them.
    public var objectProperties: [String: QMPValue]
    /// vCPUs present at start (`query-cpus-fast`): one VMSA each under SEV-ES.
    public var vcpus: Int
    /// CPUID Fn0000_0001_EAX of vCPU 0, from its `family`, `model` and `stepping` properties:
    /// what KVM puts in RDX at reset, so in each SEV-ES VMSA.
    public var vcpuSignature: UInt32
    /// The firmware QEMU maps: the image behind pflash unit 0, else the `-bios` file.
    public var firmwarePath: String?
    public var kernel: String?
    public var initrd: String?
    public var append: String?
    /// `qom-get /machine type`, e.g. `pc-q35-10.0-machine`.
    public var machineType: String

    public init(
        objectProperties: [String: QMPValue], vcpus: Int, vcpuSignature: UInt32, firmwarePath: String?,
        kernel: String?, initrd: String?, append: String?, machineType: String
    ) {
        self.objectProperties = objectProperties
        self.vcpus = vcpus
        self.vcpuSignature = vcpuSignature
        self.firmwarePath = firmwarePath
        self.kernel = kernel
        self.initrd = initrd
        self.append = append
        self.machineType = machineType
    }

    /// Reads the facts through `client`; `objectID` names the confidential-guest object.
    public static func collect(client: QMPClient, objectID: String?) async throws(QMPError) -> QEMUGuestFacts {
        func qomGet(_ path: String, _ property: String) async throws(QMPError) -> QMPValue {
            try await client.execute("qom-get", arguments: ["path": .string(path), "property": .string(property)])
        }
        func optionalString(_ value: QMPValue) -> String? {
            guard let text = value.stringValue, !text.isEmpty else { return nil }
            return text
        }

        var properties: [String: QMPValue] = [:]
        if let objectID {
            let path = "/objects/" + objectID
            guard case .array(let listed) = try await client.execute("qom-list", arguments: ["path": .string(path)]) else {
                throw .malformedReply(command: "qom-list", field: "return", expected: "an array")
            }
            for entry in listed {
                guard let name = entry["name"]?.stringValue, let type = entry["type"]?.stringValue,
                      !type.hasPrefix("child<"), !type.hasPrefix("link<"), name != "type"
                else { continue }
                properties[name] = try await qomGet(path, name)
            }
        }

        guard case .array(let cpus) = try await client.execute("query-cpus-fast") else {
            throw .malformedReply(command: "query-cpus-fast", field: "return", expected: "an array")
        }
        let first = cpus.first { $0["cpu-index"]?.int64Value == 0 } ?? cpus.first
        var signature: UInt32 = 0
        if let cpuPath = first?["qom-path"]?.stringValue {
            let family = try await qomGet(cpuPath, "family").int64Value ?? 0
            let model = try await qomGet(cpuPath, "model").int64Value ?? 0
            let stepping = try await qomGet(cpuPath, "stepping").int64Value ?? 0
            signature = VCPUType.signature(family: Int(family), model: Int(model), stepping: Int(stepping))
        }

        var firmware: String?
        if case .array(let blocks) = try await client.execute("query-block") {
            let flash = blocks.first { $0["qdev"]?.stringValue == "/machine/system.flash0" }
            firmware = flash?["inserted"]?["image"]?["filename"]?.stringValue
        }
        if firmware == nil { firmware = optionalString(try await qomGet("/machine", "firmware")) }

        return QEMUGuestFacts(
            objectProperties: properties, vcpus: cpus.count, vcpuSignature: signature, firmwarePath: firmware,
            kernel: optionalString(try await qomGet("/machine", "kernel")),
            initrd: optionalString(try await qomGet("/machine", "initrd")),
            append: optionalString(try await qomGet("/machine", "append")),
            machineType: try await qomGet("/machine", "type").stringValue ?? "")
    }
}
