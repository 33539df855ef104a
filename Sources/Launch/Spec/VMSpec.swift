/// One confidential VM, described once, from which sevhost derives a QEMU command line or a
/// libvirt domain (see sevhost-spec(5)).
///
/// The same schema is read from YAML and from JSON; keys are kebab-case. Optional fields keep
/// their absence (nil) so that `--print json` writes back what the user wrote, while the
/// `resolved…` accessors apply the documented defaults in one place.
public struct VMSpec: Codable, Equatable, Sendable {
    public var name: String
    public var vcpus: Int
    /// QEMU CPU model (`EPYC-v4`, `host`, …). Default `EPYC-v4`.
    public var cpu: String?
    public var memory: MemorySize
    /// QEMU machine type. Default `q35` (SEV needs a PCIe machine).
    public var machine: String?
    public var firmware: FirmwareSpec
    public var kernel: KernelSpec?
    public var disks: [DiskSpec]?
    public var nics: [NICSpec]?
    /// Path of the QMP Unix socket QEMU listens on.
    public var qmp: String?
    /// A QEMU chardev for the first serial port (`stdio`, `pty`, `file:PATH`, …).
    public var serial: String?
    /// A production spec refuses debug-enabled policies unless `allow-debug` is set. Default true.
    public var production: Bool?
    public var allowDebug: Bool?
    public var confidential: ConfidentialSpec

    public init(
        name: String, vcpus: Int, cpu: String? = nil, memory: MemorySize, machine: String? = nil,
        firmware: FirmwareSpec, kernel: KernelSpec? = nil, disks: [DiskSpec]? = nil, nics: [NICSpec]? = nil,
        qmp: String? = nil, serial: String? = nil, production: Bool? = nil, allowDebug: Bool? = nil,
        confidential: ConfidentialSpec
    ) {
        self.name = name
        self.vcpus = vcpus
        self.cpu = cpu
        self.memory = memory
        self.machine = machine
        self.firmware = firmware
        self.kernel = kernel
        self.disks = disks
        self.nics = nics
        self.qmp = qmp
        self.serial = serial
        self.production = production
        self.allowDebug = allowDebug
        self.confidential = confidential
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, vcpus, cpu, memory, machine, firmware, kernel, disks, nics, qmp, serial, production
        case allowDebug = "allow-debug"
        case confidential
    }

    public var resolvedCPU: String { cpu ?? "EPYC-v4" }
    public var resolvedMachine: String { machine ?? "q35" }
    public var isProduction: Bool { production ?? true }
    public var debugAllowed: Bool { allowDebug ?? false }
}

/// Guest firmware: an OVMF image.
public struct FirmwareSpec: Codable, Equatable, Sendable {
    /// The OVMF image (a code-only image for pflash, or a whole `OVMF.fd`).
    public var path: String
    /// A writable variable store for pflash unit 1 (SEV / SEV-ES only).
    public var vars: String?
    /// How QEMU maps the image. Default: `pflash` for SEV and SEV-ES, `bios` for SEV-SNP.
    public var mode: FirmwareMode?

    public init(path: String, vars: String? = nil, mode: FirmwareMode? = nil) {
        self.path = path
        self.vars = vars
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case path, vars, mode }
}

public enum FirmwareMode: String, Codable, Equatable, Sendable, CaseIterable {
    case pflash, bios
}

/// Direct kernel boot: QEMU loads these instead of booting from a disk, and with
/// `kernel-hashes` their digests go into the launch measurement.
public struct KernelSpec: Codable, Equatable, Sendable {
    public var path: String
    public var initrd: String?
    public var append: String?

    public init(path: String, initrd: String? = nil, append: String? = nil) {
        self.path = path
        self.initrd = initrd
        self.append = append
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case path, initrd, append }
}

/// A virtio-blk disk backed by an image file.
public struct DiskSpec: Codable, Equatable, Sendable {
    public var path: String
    /// Image format: `raw` or `qcow2`. Default `qcow2`.
    public var format: DiskFormat?
    public var readonly: Bool?

    public init(path: String, format: DiskFormat? = nil, readonly: Bool? = nil) {
        self.path = path
        self.format = format
        self.readonly = readonly
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case path, format, readonly }

    public var resolvedFormat: DiskFormat { format ?? .qcow2 }
}

public enum DiskFormat: String, Codable, Equatable, Sendable, CaseIterable {
    case raw, qcow2
}

/// A virtio-net NIC.
public struct NICSpec: Codable, Equatable, Sendable {
    /// `user` (QEMU user networking), `bridge` (attach to `bridge`), or `tap` (an existing `tap` device).
    public var type: NICType
    public var bridge: String?
    public var tap: String?
    public var mac: String?

    public init(type: NICType, bridge: String? = nil, tap: String? = nil, mac: String? = nil) {
        self.type = type
        self.bridge = bridge
        self.tap = tap
        self.mac = mac
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case type, bridge, tap, mac }
}

public enum NICType: String, Codable, Equatable, Sendable, CaseIterable {
    case user, bridge, tap
}
