import SEVKit

/// The parts of a QEMU command line the simulator acts on, as `sevhost launch --print qemu`
/// writes them (and as a user would type them); every other option is accepted and ignored,
/// so the same argv can go to QEMU or to the simulator.
struct QEMUCommandLine: Sendable {
    /// `-object sev-guest,...` properties (id, policy, cbitpos, reduced-phys-bits,
    /// dh-cert-file, session-file, kernel-hashes, legacy-vm-type).
    var sevGuest: [String: String]
    var confidentialGuestSupport: String?
    var firmwarePath: String?
    var kernel: String?
    var initrd: String?
    var append: String?
    var vcpus = 1
    var cpuModel = "qemu64"
    var startPaused = false
    var qmpSocket: String?
    /// `-pidfile FILE`: written once the guest is set up, as QEMU does.
    var pidFile: String?

    // The simulator's own options.
    var stateDirectory: String?
    var secretOut: String?
    var replayMeasurement: String?
    var reportedBuildID: String?
    var dumpVMSA: String?

    /// QEMU options that take no value; every other option takes one.
    static let flags: Set<String> = [
        "-S", "-nodefaults", "-no-user-config", "-enable-kvm", "-no-reboot", "-no-shutdown", "-nographic",
        "-daemonize", "-no-hpet", "-snapshot",
    ]

    init(arguments: [String]) throws(SimulatorArgumentError) {
        var sevGuest: [String: String]?
        var index = 0
        func value(_ option: String) throws(SimulatorArgumentError) -> String {
            index += 1
            guard index < arguments.count else { throw SimulatorArgumentError("\(option): missing its value") }
            return arguments[index]
        }
        while index < arguments.count {
            let option = arguments[index]
            // QEMU accepts --option as -option.
            let name = option.hasPrefix("--") ? String(option.dropFirst()) : option
            switch name {
            case "-sim-state": stateDirectory = try value(option)
            case "-secret-out": secretOut = try value(option)
            case "-replay-measurement": replayMeasurement = try value(option)
            case "-query-sev-build-id": reportedBuildID = try value(option)
            case "-dump-vmsa": dumpVMSA = try value(option)
            case "-S": startPaused = true
            case "-object":
                let text = try value(option)
                let (head, properties) = Self.optionList(text)
                let type = properties["qom-type"] ?? head
                if type == "sev-guest" {
                    sevGuest = properties
                } else if type == "sev-snp-guest" {
                    throw SimulatorArgumentError("-object sev-snp-guest: the simulator implements SEV and SEV-ES launches, not SEV-SNP")
                }
            case "-machine", "-M":
                let (_, properties) = Self.optionList(try value(option))
                if let support = properties["confidential-guest-support"] { confidentialGuestSupport = support }
            case "-drive":
                let (head, properties) = Self.optionList(try value(option))
                var all = properties
                if let equals = head.firstIndex(of: "=") { all[String(head[..<equals])] = String(head[head.index(after: equals)...]) }
                if all["if"] == "pflash", (all["unit"] ?? "0") == "0", let file = all["file"] { firmwarePath = file }
            case "-bios": firmwarePath = try value(option)
            case "-pidfile": pidFile = try value(option)
            case "-kernel": kernel = try value(option)
            case "-initrd": initrd = try value(option)
            case "-append": append = try value(option)
            case "-smp":
                let text = try value(option)
                let (head, properties) = Self.optionList(text)
                let count = properties["cpus"] ?? (head.contains("=") ? nil : head)
                guard let count, let number = Int(count), (1...512).contains(number) else {
                    throw SimulatorArgumentError("-smp \(text): expected a vCPU count from 1 to 512")
                }
                vcpus = number
            case "-cpu":
                let (head, _) = Self.optionList(try value(option))
                cpuModel = head
            case "-qmp":
                let text = try value(option)
                guard text.hasPrefix("unix:") else {
                    throw SimulatorArgumentError("-qmp \(text): the simulator serves QMP on a Unix socket (unix:PATH,server=on,wait=off)")
                }
                let (head, _) = Self.optionList(String(text.dropFirst(5)))
                qmpSocket = head
            default:
                guard option.hasPrefix("-") else { throw SimulatorArgumentError("\(option): unexpected argument (QEMU options start with -)") }
                if !Self.flags.contains(name) { _ = try value(option) }
            }
            index += 1
        }
        guard let sevGuest else {
            throw SimulatorArgumentError("no -object sev-guest,...: the simulator only runs SEV and SEV-ES guests")
        }
        guard let id = sevGuest["id"], confidentialGuestSupport == id else {
            throw SimulatorArgumentError(
                "-machine ...,confidential-guest-support=\(confidentialGuestSupport ?? "(missing)") must name the sev-guest object (id=\(sevGuest["id"] ?? "(missing)"))")
        }
        self.sevGuest = sevGuest
        guard qmpSocket != nil else { throw SimulatorArgumentError("no -qmp unix:PATH,server=on,wait=off: nothing could drive the guest") }
        guard firmwarePath != nil else { throw SimulatorArgumentError("no firmware: expected -drive if=pflash,unit=0,file=OVMF or -bios OVMF") }
    }

    /// The guest policy from `policy=` (QEMU's default is 0x1).
    func policy() throws(SimulatorArgumentError) -> UInt32 {
        guard let text = sevGuest["policy"] else { return 0x1 }
        guard let value = try? IntegerText.parse(text, as: UInt32.self) else { throw SimulatorArgumentError("-object sev-guest,policy=\(text): expected a 32-bit integer") }
        return value
    }

    func integerProperty(_ name: String, default fallback: Int) throws(SimulatorArgumentError) -> Int {
        guard let text = sevGuest[name] else { return fallback }
        guard let value = Int(text), (0...63).contains(value) else {
            throw SimulatorArgumentError("-object sev-guest,\(name)=\(text): expected an integer from 0 to 63")
        }
        return value
    }

    var kernelHashes: Bool { ["on", "yes", "true"].contains(sevGuest["kernel-hashes"] ?? "off") }

    /// The VM type QEMU with KVM creates for this `sev-guest`, decided from its
    /// `legacy-vm-type` by the same rule every predictor uses (unset means `auto`).
    func vmType() throws(SimulatorArgumentError) -> SEVVMType {
        do {
            return try SEVVMType(qemuPropertyValue: sevGuest[SEVVMType.qemuProperty])
        } catch {
            throw SimulatorArgumentError("-object sev-guest,...: \(error)")
        }
    }

    /// Splits `head,key=value,...` with QEMU's `,,` escape for a literal comma.
    static func optionList(_ text: String) -> (head: String, properties: [String: String]) {
        var parts: [String] = []
        var current = ""
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if character == "," {
                if characters.first == "," {
                    current.append(",")
                    characters = characters.dropFirst()
                } else {
                    parts.append(current)
                    current = ""
                }
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        let head = parts.first ?? ""
        var properties: [String: String] = [:]
        for part in parts {
            guard let equals = part.firstIndex(of: "=") else { continue }
            properties[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        return (head, properties)
    }
}

/// A command-line argument the simulator cannot use.
struct SimulatorArgumentError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
