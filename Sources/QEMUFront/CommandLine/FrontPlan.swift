import QMP

/// What the front makes of the command line it was given: the argv of the real QEMU, the QMP
/// monitors it serves itself, the confidential-guest object it simulates, and its own options.
///
/// The real QEMU gets the client's argv with only these changes:
/// - `confidential-guest-support=ID` (or its old name `memory-encryption`) is taken off
///   `-machine` when ID is a `sev-guest` or `sev-snp-guest` object. The object itself stays:
///   QEMU still parses and checks every property (an unknown property or a bad value is QEMU's
///   own error), and `qom-get` and `qom-list` answer for it, but nothing asks the kernel for SEV.
/// - each fronted QMP monitor listens on a private socket; the front listens where the client
///   asked and relays (see `QMPFrontConnection`).
/// - one more monitor, the front's own (`controlSocket`), through which it reads what QEMU made
///   of the argv (see `QEMUGuestFacts`) and follows the guest.
/// - `-pidfile` is the front's: the pid a client finds there is the one it started.
/// - the accelerator: an argv that asks for KVM gets TCG when this host's KVM cannot run a
///   guest (see `AcceleratorChoice`).
public struct FrontPlan: Sendable {
    /// A QMP monitor the client asked for and the front serves.
    public struct Monitor: Sendable, Hashable {
        public enum Endpoint: Sendable, Hashable {
            /// A Unix socket path the front binds (QEMU's `server=on`).
            case path(String)
            /// A listening socket the caller passed open (`fd=N`, as libvirt does).
            case descriptor(Int32)
        }

        public var client: Endpoint
        /// Where the real QEMU listens for this monitor; only the front connects there.
        public var privateSocket: String

        public init(client: Endpoint, privateSocket: String) {
            self.client = client
            self.privateSocket = privateSocket
        }
    }

    /// The `-object` the machine's `confidential-guest-support` names, when it is an SEV one.
    public struct ConfidentialObject: Sendable, Hashable {
        public var id: String
        /// `sev-guest` or `sev-snp-guest`.
        public var qomType: String

        public init(id: String, qomType: String) {
            self.id = id
            self.qomType = qomType
        }
    }

    /// The sevhost-sim options, taken out before QEMU sees the argv.
    public struct SimulatorOptions: Sendable, Hashable {
        public var stateDirectory: String?
        public var secretOut: String?
        public var replayMeasurement: String?
        public var accelerator: String?
        public var qemu: String?
        public var reportedBuildID: String?
        public var dumpVMSA: String?
        /// Where the guest's side of the simulated AMD-SP is served (see `addGuestSocket`).
        public var guestSocket: String?
    }

    public var qemuArguments: [String]
    /// The client's argv without sevhost-sim's own options: what QEMU runs when there is
    /// nothing to front (no QMP monitor, no SEV guest: `-version`, `-cpu help`, a plain guest).
    public var unfrontedArguments: [String]
    public var monitors: [Monitor]
    public var controlSocket: String
    public var confidentialObject: ConfidentialObject?
    /// How QEMU names the accelerator option in its messages (`-accel kvm`), nil when the
    /// accelerator came from `-enable-kvm` or `-machine accel=` (QEMU then names no option).
    public var acceleratorLocation: String?
    /// The accelerator the client's argv asks for first (QEMU tries that one first).
    public var requestedAccelerator: String
    public var startsPaused: Bool
    public var pidFile: String?
    public var simulator: SimulatorOptions

    /// Whether the front has anything to do: a monitor to serve or an SEV guest to launch.
    public var isFronting: Bool { !monitors.isEmpty || confidentialObject != nil }

    /// The option names sevhost-sim takes itself, each with a value.
    public static let simulatorOptions: Set<String> = [
        "sim-state", "secret-out", "replay-measurement", "sim-accel", "sim-qemu", "query-sev-build-id", "dump-vmsa",
        "guest-socket",
    ]

    /// Reads `arguments` (without argv[0]); `privateDirectory` holds the real QEMU's sockets;
    /// `useTCG` says whether the real QEMU must run the guest under TCG although the argv asks
    /// for KVM.
    public init(arguments: [String], privateDirectory: String, useTCG: (String?) -> Bool) throws(FrontArgumentError) {
        var commandLine = try QEMUCommandLine(arguments: arguments)
        var simulator = SimulatorOptions()
        for option in commandLine.options {
            switch option.name {
            case "sim-state": simulator.stateDirectory = option.value
            case "secret-out": simulator.secretOut = option.value
            case "replay-measurement": simulator.replayMeasurement = option.value
            case "sim-accel": simulator.accelerator = option.value
            case "sim-qemu": simulator.qemu = option.value
            case "query-sev-build-id": simulator.reportedBuildID = option.value
            case "dump-vmsa": simulator.dumpVMSA = option.value
            case "guest-socket": simulator.guestSocket = option.value
            default: break
            }
        }
        commandLine.options.removeAll { $0.name.map(Self.simulatorOptions.contains) ?? false }
        unfrontedArguments = commandLine.arguments
        if let pretty = commandLine.all("qmp-pretty").first {
            throw FrontArgumentError("\(pretty.location): sevhost-sim fronts compact QMP only; use -qmp")
        }

        confidentialObject = Self.confidentialObject(commandLine)
        if let object = confidentialObject {
            Self.detach(object.id, from: &commandLine)
        }

        (requestedAccelerator, acceleratorLocation) = Self.requestedAccelerator(commandLine)
        if requestedAccelerator == "kvm", useTCG(simulator.accelerator) {
            Self.replaceAccelerator(in: &commandLine, with: "tcg")
        }

        var monitors: [Monitor] = []
        try Self.frontMonitors(&commandLine, privateDirectory: privateDirectory, monitors: &monitors)
        self.monitors = monitors
        if let daemonize = commandLine.all("daemonize").first, !monitors.isEmpty || confidentialObject != nil {
            throw FrontArgumentError("\(daemonize.spelling): sevhost-sim runs in the foreground; start it in the background instead")
        }

        pidFile = commandLine.all("pidfile").last?.value
        commandLine.options.removeAll { $0.name == "pidfile" }
        startsPaused = commandLine.contains("S")

        controlSocket = privateDirectory + "/control.sock"
        commandLine.options.append(.init(name: "qmp", spelling: "-qmp", value: "unix:\(controlSocket),server=on,wait=off"))
        qemuArguments = commandLine.arguments
        self.simulator = simulator
    }

    /// One more monitor, served at `path` for whoever stands in for the guest: a guest asks its
    /// AMD-SP for an attestation report through /dev/sev-guest, not through the host's monitor,
    /// and a host's monitor is usually held by its manager (sevhostd keeps one connection open
    /// to each VM, and QEMU serves one client per monitor at a time). It is a QMP monitor like
    /// the others, relayed to a private one of QEMU's, so the guest's request
    /// (`x-sevhost-snp-guest-report`) reaches the simulated AMD-SP on either.
    public mutating func addGuestSocket(_ path: String, privateDirectory: String) {
        let socket = privateDirectory + "/guest.sock"
        qemuArguments += ["-qmp", "unix:\(socket),server=on,wait=off"]
        monitors.append(Monitor(client: .path(path), privateSocket: socket))
    }

    /// The object named by the last `-machine confidential-guest-support=` (QEMU keeps the last),
    /// when it is an SEV or SEV-SNP guest object.
    static func confidentialObject(_ commandLine: QEMUCommandLine) -> ConfidentialObject? {
        var id: String?
        for option in commandLine.all("machine", "M") {
            let list = QEMUKeyValueList(option.value ?? "")
            if let value = list["confidential-guest-support"] ?? list["memory-encryption"] { id = value }
        }
        guard let id else { return nil }
        for option in commandLine.all("object") {
            guard let (objectID, type) = objectIdentity(option.value ?? ""), objectID == id else { continue }
            return ["sev-guest", "sev-snp-guest"].contains(type) ? ConfidentialObject(id: id, qomType: type) : nil
        }
        return nil
    }

    /// `id` and `qom-type` of an `-object` value, in either of QEMU's syntaxes
    /// (`sev-guest,id=sev0,...` or `{"qom-type": "sev-guest", "id": "sev0", ...}`).
    static func objectIdentity(_ value: String) -> (id: String, type: String)? {
        if value.hasPrefix("{") {
            guard let object = try? QMPValue(json: Array(value.utf8)),
                  let id = object["id"]?.stringValue, let type = object["qom-type"]?.stringValue
            else { return nil }
            return (id, type)
        }
        let list = QEMUKeyValueList(value)
        guard let id = list["id"], let type = list.head ?? list["qom-type"] else { return nil }
        return (id, type)
    }

    static func detach(_ id: String, from commandLine: inout QEMUCommandLine) {
        for index in commandLine.options.indices where ["machine", "M"].contains(commandLine.options[index].name ?? "") {
            var list = QEMUKeyValueList(commandLine.options[index].value ?? "")
            list.remove("confidential-guest-support")
            list.remove("memory-encryption")
            commandLine.options[index].value = list.text
        }
    }

    /// The first accelerator QEMU would try, and how its messages name the option it came from.
    static func requestedAccelerator(_ commandLine: QEMUCommandLine) -> (String, String?) {
        for option in commandLine.options {
            switch option.name {
            case "accel":
                let list = QEMUKeyValueList(option.value ?? "")
                return (list.head ?? list["accel"] ?? "", option.location)
            case "enable-kvm":
                return ("kvm", nil)
            case "machine", "M":
                if let accelerators = QEMUKeyValueList(option.value ?? "")["accel"] {
                    return (String(accelerators.split(separator: ":").first ?? ""), nil)
                }
            default:
                continue
            }
        }
        return ("tcg", nil)
    }

    /// Every way of asking for an accelerator replaced by one `-accel NAME`, where the first was.
    static func replaceAccelerator(in commandLine: inout QEMUCommandLine, with accelerator: String) {
        var position: Int?
        var kept: [QEMUCommandLine.Option] = []
        for option in commandLine.options {
            switch option.name {
            case "accel", "enable-kvm":
                if position == nil { position = kept.count }
                continue
            case "machine", "M":
                var list = QEMUKeyValueList(option.value ?? "")
                if list["accel"] != nil {
                    if position == nil { position = kept.count + 1 }
                    list.remove("accel")
                    kept.append(.init(name: option.name, spelling: option.spelling, value: list.text))
                    continue
                }
            default:
                break
            }
            kept.append(option)
        }
        kept.insert(.init(name: "accel", spelling: "-accel", value: accelerator), at: position ?? kept.count)
        commandLine.options = kept
    }

    /// Points every QMP monitor at a private socket and records where the client expects it.
    static func frontMonitors(_ commandLine: inout QEMUCommandLine, privateDirectory: String, monitors: inout [Monitor]) throws(FrontArgumentError) {
        func privatePath() -> String { privateDirectory + "/qmp\(monitors.count).sock" }
        // Chardevs that a control-mode -mon uses.
        var controlChardevs: Set<String> = []
        for option in commandLine.all("mon") {
            let list = QEMUKeyValueList(option.value ?? "")
            guard list["mode"] == "control", let chardev = list["chardev"] else { continue }
            if list["pretty"] == "on" {
                throw FrontArgumentError("\(option.location): sevhost-sim fronts compact QMP only (pretty=off)")
            }
            controlChardevs.insert(chardev)
        }
        for index in commandLine.options.indices {
            let option = commandLine.options[index]
            switch option.name {
            case "qmp":
                let value = option.value ?? ""
                guard value.hasPrefix("unix:") else {
                    throw FrontArgumentError("\(option.location): sevhost-sim fronts QMP on Unix sockets (unix:PATH,server=on,wait=off)")
                }
                var list = QEMUKeyValueList(String(value.dropFirst(5)))
                guard let path = list.head, list["server"] == "on" else {
                    throw FrontArgumentError("\(option.location): sevhost-sim fronts QMP servers (unix:PATH,server=on)")
                }
                let socket = privatePath()
                list.replaceHead(with: socket)
                commandLine.options[index].value = "unix:" + list.text
                monitors.append(Monitor(client: .path(path), privateSocket: socket))
            case "chardev":
                var list = QEMUKeyValueList(option.value ?? "")
                guard list.head == "socket", let id = list["id"], controlChardevs.contains(id) else { continue }
                guard list["server"] == "on" else {
                    throw FrontArgumentError("\(option.location): sevhost-sim fronts QMP servers (server=on)")
                }
                let client: Monitor.Endpoint
                if let path = list["path"] {
                    client = .path(path)
                } else if let fd = list["fd"].flatMap(Int32.init) {
                    client = .descriptor(fd)
                    list.remove("fd")
                } else {
                    throw FrontArgumentError("\(option.location): sevhost-sim fronts QMP on Unix sockets (path= or fd=)")
                }
                let socket = privatePath()
                list.set("path", socket)
                commandLine.options[index].value = list.text
                monitors.append(Monitor(client: client, privateSocket: socket))
            default:
                continue
            }
        }
    }
}
