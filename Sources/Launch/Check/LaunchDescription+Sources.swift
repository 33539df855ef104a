import SEVKit

extension LaunchDescription {
    /// The properties each confidential-guest object of QEMU 10 has (`qom-list-properties`):
    /// any other makes QEMU stop with "Property '…' not found".
    static let commonProperties: Set<String> = ["qom-type", "id", "sev-device", "cbitpos", "reduced-phys-bits", "kernel-hashes"]
    static let sevGuestProperties = commonProperties.union(["dh-cert-file", "session-file", "policy", "handle", "legacy-vm-type"])
    static let snpGuestProperties = commonProperties.union([
        "policy", "guest-visible-workarounds", "id-block", "id-auth", "author-key-enabled", "host-data", "vcek-disabled",
    ])

    /// Reads what a QEMU command line asks of the launch.
    public init(qemu argv: QEMUArgv) throws(LaunchCheckInputError) {
        self.init(format: .qemu)
        var blockdevs: [String: QEMUProperties] = [:]
        var pflashDrives: [(QEMUProperties, String)] = []
        var machineFirmware: (node: String, spelling: String)?
        var machineVars: String?
        for option in argv.options {
            guard let name = option.name, let value = option.value else { continue }
            switch name {
            case "object":
                let props = try QEMUProperties(value)
                guard let kind = props.qomType else { throw LaunchCheckInputError("-object \(value.prefix(60)): no type") }
                if kind == "sev-guest" || kind == "sev-snp-guest" {
                    try readGuestObject(kind: kind, props, spelling: "-object \(kind)")
                } else if kind.hasPrefix("memory-backend-"), let id = props["id"] {
                    memoryBackends[id] = MemoryBackend(type: kind, size: props["size"].flatMap { Self.bytes($0, defaultUnit: 1) })
                }
            case "machine", "M":
                let props = try QEMUProperties(value)
                if let support = props["confidential-guest-support"] ?? props["memory-encryption"] { confidentialGuestSupport = support }
                if let backend = props["memory-backend"] { memoryBackend = backend }
                if let irqchip = props["kernel-irqchip"] { kernelIRQChip = irqchip }
                if let pflash0 = props["pflash0"] { machineFirmware = (pflash0, "-machine pflash0=\(pflash0)") }
                if let pflash1 = props["pflash1"] { machineVars = pflash1 }
            case "accel":
                let props = try QEMUProperties(value)
                if let irqchip = props["kernel-irqchip"] { kernelIRQChip = irqchip }
            case "blockdev":
                let props = try QEMUProperties(value)
                if let node = props["node-name"] { blockdevs[node] = props }
            case "drive":
                let props = try QEMUProperties(value)
                if props["if"] == "pflash" { pflashDrives.append((props, "-drive if=pflash")) }
            case "bios":
                firmwarePath = value
                firmwareMapping = .rom
                firmwareSpelling = "-bios \(value)"
            case "kernel": kernel = value
            case "initrd": initrd = value
            case "append": append = value
            case "smp":
                let props = try QEMUProperties(value)
                if let count = Int(props["cpus"] ?? props.head ?? "") { vcpus = count }
            case "cpu": cpuModel = (try QEMUProperties(value)).head
            case "m":
                let props = try QEMUProperties(value)
                if let size = props["size"] ?? props.head { memoryBytes = Self.bytes(size, defaultUnit: 1 << 20) }
            default: break
            }
        }
        for (index, (drive, spelling)) in pflashDrives.enumerated() {
            let unit = Int(drive["unit"] ?? drive["index"] ?? "") ?? index
            guard let file = drive["file"] else { continue }
            if unit == 0 {
                firmwarePath = file
                firmwareMapping = .pflash
                firmwareSpelling = "\(spelling),unit=0,file=\(file)"
            } else {
                variableStore = file
            }
        }
        if let (node, spelling) = machineFirmware {
            firmwarePath = Self.blockdevFile(node, blockdevs)
            firmwareMapping = .pflash
            firmwareSpelling = spelling
        }
        if let node = machineVars { variableStore = Self.blockdevFile(node, blockdevs) ?? node }
    }

    /// A `-blockdev` node's file: its `filename`, through a format node's `file` when needed.
    private static func blockdevFile(_ node: String, _ nodes: [String: QEMUProperties]) -> String? {
        var current = nodes[node]
        for _ in 0..<4 {
            guard let props = current else { return nil }
            if let name = props["filename"] ?? props["file.filename"] { return name }
            guard let next = props["file"] else { return nil }
            current = nodes[next]
        }
        return nil
    }

    private mutating func readGuestObject(kind: String, _ props: QEMUProperties, spelling: String) throws(LaunchCheckInputError) {
        guestObjectID = props["id"]
        guestObjectSpelling = spelling
        guestObjectIsJSON = props.isJSON
        let known = kind == "sev-snp-guest" ? Self.snpGuestProperties : Self.sevGuestProperties
        unknownProperties = props.keys.filter { !known.contains($0) }
        policyText = props["policy"]
        cbitpos = props["cbitpos"]
        reducedPhysBits = props["reduced-phys-bits"]
        kernelHashes = ["on", "yes", "true"].contains(props["kernel-hashes"] ?? "off")
        if kind == "sev-snp-guest" {
            type = .sevSNP
            idBlock = props["id-block"]
            idAuth = props["id-auth"]
            hostData = props["host-data"]
            guestVisibleWorkarounds = props["guest-visible-workarounds"]
            authorKeyEnabled = ["on", "yes", "true"].contains(props["author-key-enabled"] ?? "off")
        } else {
            legacyVMType = props["legacy-vm-type"]
            dhCert = props["dh-cert-file"]
            session = props["session-file"]
            // QEMU's sev-guest default policy is 0x1; the ES bit makes it an SEV-ES guest.
            let policy = policyText.flatMap { try? IntegerText.parse($0, as: UInt64.self) } ?? 0x1
            type = policy & 0x4 != 0 ? .sevES : .sev
        }
    }

    /// Reads what a libvirt domain asks of the launch.
    public init(libvirt document: LibvirtDomainXML) {
        self.init(format: .libvirt)
        let domain = document.root
        if let memory = domain.child("memory") {
            let unit = memory.attributes["unit"] ?? "KiB"
            memoryBytes = UInt64(memory.value).map { $0 * Self.libvirtUnit(unit) }
        }
        if let vcpu = domain.child("vcpu"), let count = Int(vcpu.value) { vcpus = count }
        if let os = domain.child("os") {
            if let loader = os.child("loader") {
                let kind = loader.attributes["type"] ?? "rom"
                firmwareMapping = kind == "pflash" ? .pflash : .rom
                if !loader.value.isEmpty { firmwarePath = loader.value }
                firmwareSpelling = "<loader type='\(kind)'>"
            }
            if let nvram = os.child("nvram") { variableStore = nvram.value.isEmpty ? nvram.attributes["template"] ?? "(nvram)" : nvram.value }
            kernel = os.child("kernel")?.value
            initrd = os.child("initrd")?.value
            append = os.child("cmdline")?.value
        }
        if let cpu = domain.child("cpu") {
            cpuModel = cpu.attributes["mode"] == "host-passthrough" || cpu.attributes["mode"] == "host-model" ? "host" : cpu.child("model")?.value
        }
        if let ioapic = domain.element("features/ioapic") {
            kernelIRQChip = ioapic.attributes["driver"] == "qemu" ? "split" : "on"
        }
        if domain.element("memoryBacking/source")?.attributes["type"] == "memfd" { memoryBackend = "memfd" }
        guard let security = domain.child("launchSecurity") else { return }
        let kind = security.attributes["type"] ?? ""
        policyText = security.child("policy")?.value
        cbitpos = security.child("cbitpos")?.value
        reducedPhysBits = security.child("reducedPhysBits")?.value
        kernelHashes = security.attributes["kernelHashes"] == "yes"
        switch kind {
        case "sev-snp":
            type = .sevSNP
            idBlock = security.child("idBlock")?.value
            idAuth = security.child("idAuth")?.value
            hostData = security.child("hostData")?.value
            guestVisibleWorkarounds = security.child("guestVisibleWorkarounds")?.value
            authorKeyEnabled = security.attributes["authorKey"] == "yes"
        case "sev":
            dhCert = security.child("dhCert")?.value
            session = security.child("session")?.value
            let policy = policyText.flatMap { try? IntegerText.parse($0, as: UInt64.self) } ?? 0x1
            type = policy & 0x4 != 0 ? .sevES : .sev
        default:
            unknownProperties = ["type='\(kind.prefix(20))'"]
        }
    }

    /// libvirt's memory units (KiB when none is given).
    private static func libvirtUnit(_ unit: String) -> UInt64 {
        switch unit {
        case "b", "bytes": 1
        case "KB": 1000
        case "k", "KiB": 1 << 10
        case "MB": 1_000_000
        case "M", "MiB": 1 << 20
        case "GB": 1_000_000_000
        case "G", "GiB": 1 << 30
        case "T", "TiB": 1 << 40
        default: 1 << 10
        }
    }

    /// QEMU sizes: a number with an optional k/M/G/T suffix (powers of 1024).
    static func bytes(_ text: String, defaultUnit: UInt64) -> UInt64? {
        let digits = text.prefix { $0.isNumber }
        guard let number = UInt64(digits) else { return nil }
        let suffix = text.dropFirst(digits.count).lowercased()
        let unit: UInt64
        switch suffix {
        case "": unit = defaultUnit
        case "b": unit = 1
        case "k", "kb", "kib": unit = 1 << 10
        case "m", "mb", "mib": unit = 1 << 20
        case "g", "gb", "gib": unit = 1 << 30
        case "t", "tb", "tib": unit = 1 << 40
        default: return nil
        }
        return number.multipliedReportingOverflow(by: unit).overflow ? nil : number * unit
    }
}
