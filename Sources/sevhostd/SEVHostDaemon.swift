import ArgumentParser
import BoundedFiles
import Foundation
import Logging
import Orchestration
import SEVDaemon
import SEVKit
import SEVPlatform
import SEVPlatformSimulator

/// sevhostd: keeps the confidential VMs of a host (see sevhostd(8)).
@main
struct SEVHostDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sevhostd",
        abstract: "The sevhost daemon: launches confidential VMs from specs, holds them at the pre-attestation gate, supervises QEMU.",
        discussion: """
            Without --connect, sevhostd runs each VM as its own QEMU child (--qemu), over a QMP \
            socket in --run-dir. With --connect URI (repeatable), it runs them as libvirt \
            domains on those hosts instead: libvirt builds and runs QEMU, the pre-attestation \
            gate goes through virDomainGetLaunchSecurityInfo, virDomainSetLaunchSecurityState \
            and virDomainResume, exits arrive as libvirt's domain events, and after a restart \
            the VMs are found again in each host's list of domains. Every host must answer \
            when sevhostd starts. See sevhostd(8).

            Examples:
              sevhostd --state-dir /var/lib/sevhost --socket /run/sevhost/sevhostd.sock
              sevhostd --connect qemu:///system --connect qemu+ssh://root@10.0.0.2/system
            """,
        version: SEVHostRelease.version)

    @Option(help: "The API's Unix socket.")
    var socket = "/run/sevhost/sevhostd.sock"

    @Option(help: "Permission bits of the socket (octal).")
    var socketMode = "0660"

    @Option(help: "Owner of the socket (user name or uid).")
    var socketOwner: String?

    @Option(help: "Group of the socket (group name or gid); its members may use the API.")
    var socketGroup: String?

    @Option(help: "Where the state database and the VMs' directories live.")
    var stateDir = "/var/lib/sevhost"

    @Option(help: "Where the QMP sockets live.")
    var runDir = "/run/sevhost"

    @Option(help: "The program run as QEMU (anything that takes QEMU's command line, e.g. sevhost-sim).")
    var qemu = "qemu-system-x86_64"

    @Option(name: .customLong("cbitpos"), help: "C-bit position (default: from the host's CPUID).")
    var cbitPosition: Int?

    @Option(name: .customLong("reduced-phys-bits"), help: "Reduced physical address bits (default: from the host's CPUID).")
    var reducedPhysBits: Int?

    @Option(help: ArgumentHelp("Read the C-bit values from the captured host in DIR.", valueName: "DIR"))
    var hostRoot: String?

    @Option(help: "Seconds between quit, SIGTERM and SIGKILL when stopping a VM.")
    var stopTimeout: Double = DaemonConfiguration.defaultStopTimeout

    @Option(help: "Seconds a new QEMU has to open its QMP socket and be measured.")
    var startTimeout: Double = DaemonConfiguration.defaultStartTimeout

    @Option(help: "The most events kept per VM; older ones are dropped as new ones arrive.")
    var eventHistory = DaemonConfiguration.defaultEventHistory

    @Option(help: "Seconds a client has to send a request's head (an idle connection is closed after as long).")
    var headerTimeout: Double = DaemonConfiguration.defaultHeaderTimeout

    @Option(help: "Seconds a client has to send a request's body once its head arrived.")
    var bodyTimeout: Double = DaemonConfiguration.defaultBodyTimeout

    @Option(help: "The most API connections open at once; further clients wait until one closes.")
    var maxConnections = DaemonConfiguration.defaultMaximumConnections

    @Option(help: ArgumentHelp(
        "Serve AMD KDS's URL paths (a verifying, persistent cache) over HTTP on [HOST:]PORT (HOST default 127.0.0.1).",
        valueName: "[HOST:]PORT"))
    var kdsListen: String?

    @Option(help: ArgumentHelp("Where the KDS cache fetches from (default: $SEVHOST_KDS_URL, else https://kdsintf.amd.com).", valueName: "URL"))
    var kdsUpstream: String?

    @Option(help: ArgumentHelp("Where the KDS cache keeps what it fetched (the layout of sevhost fetch's cache).", valueName: "DIR"))
    var kdsCacheDir = "/var/cache/sevhost/kds"

    @Option(help: "The most KDS connections open at once; more are closed on accept.")
    var kdsMaxConnections = 256

    @Option(help: "Seconds a KDS client has to send a request (and an idle connection is kept).")
    var kdsRequestTimeout: Double = 10

    @Option(help: "Seconds before a CRL's nextUpdate from which it is fetched again.")
    var kdsCrlRefreshMargin: Double = 24 * 3600

    @Option(help: "Seconds between looks at the CRLs held.")
    var kdsCrlCheckInterval: Double = 3600

    @Option(help: ArgumentHelp(
        "Keep this SNP certificate table current (ARK, ASK, the VCEK for the reported TCB, from the KDS cache), rewritten under the kernel's lock rule; needs --kds-listen.",
        valueName: "FILE"))
    var snpCertsTable: String?

    @Option(help: ArgumentHelp("The SEV firmware the table follows: a device, or sim:DIR (simulated).", valueName: "DEVICE|sim:DIR"))
    var firmware = "/dev/sev"

    @Option(help: "Seconds between looks at the firmware's reported TCB for --snp-certs-table.")
    var snpCertsInterval: Double = 60

    @Option(name: .customLong("test-root"), help: ArgumentHelp(
        "An ARK (PEM or DER) the KDS cache trusts besides AMD's pinned roots: for a simulated platform only.", valueName: "FILE"))
    var testRoots: [String] = []

    @Option(name: .customLong("connect"), help: ArgumentHelp(
        "Run the VMs as libvirt domains on this libvirt host (repeatable: new VMs go on the host a request names, else the first whose SEV support and free ASIDs fit the spec).",
        valueName: "URI"))
    var libvirtURIs: [String] = []

    @Option(help: ArgumentHelp("With --connect: where the libvirt domain template is (libvirt/domain.xml under it).", valueName: "DIR"))
    var templates: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "text or json.")
    var logFormat = "text"

    func validate() throws {
        if (cbitPosition == nil) != (reducedPhysBits == nil) {
            throw ValidationError("--cbitpos and --reduced-phys-bits go together")
        }
        guard UInt32(socketMode, radix: 8).map({ $0 <= 0o777 }) == true else {
            throw ValidationError("--socket-mode \(socketMode): expected octal permission bits such as 0660")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format \(logFormat): expected text or json") }
        guard stopTimeout > 0, startTimeout > 0 else { throw ValidationError("--stop-timeout and --start-timeout must be positive") }
        guard eventHistory >= 1 else { throw ValidationError("--event-history \(eventHistory): expected at least 1") }
        guard headerTimeout > 0, bodyTimeout > 0, headerTimeout.isFinite, bodyTimeout.isFinite else {
            throw ValidationError("--header-timeout and --body-timeout must be positive")
        }
        guard (1...65536).contains(maxConnections) else { throw ValidationError("--max-connections \(maxConnections): expected 1 to 65536") }
        if let kdsListen { _ = try Self.listenAddress(kdsListen) }
        if snpCertsTable != nil, kdsListen == nil { throw ValidationError("--snp-certs-table takes its certificates from the KDS cache: give --kds-listen too") }
        guard snpCertsInterval > 0 else { throw ValidationError("--snp-certs-interval must be positive") }
        guard kdsMaxConnections >= 1, kdsRequestTimeout > 0, kdsCrlRefreshMargin >= 0, kdsCrlCheckInterval > 0 else {
            throw ValidationError("--kds-max-connections, --kds-request-timeout and --kds-crl-check-interval must be positive")
        }
    }

    /// `PORT` or `HOST:PORT` (an IPv6 host in brackets).
    static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--kds-listen \(text): expected [HOST:]PORT, e.g. 127.0.0.1:8440")
        }
        return (host, port)
    }

    /// The KDS cache's configuration, when `--kds-listen` asks for it.
    private func kdsService() throws -> DaemonConfiguration.KDSService? {
        guard let kdsListen else { return nil }
        let (host, port) = try Self.listenAddress(kdsListen)
        let roots = try testRoots.flatMap { path -> [SNPCertificate] in
            let data: [UInt8]
            do {
                data = try BoundedFile.read(path, .certificate)
            } catch {
                throw ValidationError("--test-root \(error)")
            }
            do { return try SNPCertificate.decodeAll(data) } catch {
                throw ValidationError("--test-root \(path): not a certificate: \(error)")
            }
        }
        var service = DaemonConfiguration.KDSService(
            server: .init(host: host, port: port, maximumConnections: kdsMaxConnections, requestTimeout: kdsRequestTimeout),
            upstream: KDSConfiguration.resolveBaseURL(option: kdsUpstream), cacheDirectory: Self.absolute(kdsCacheDir),
            testRoots: roots, crlRefreshMargin: kdsCrlRefreshMargin, crlCheckInterval: kdsCrlCheckInterval)
        if let snpCertsTable {
            let device: any SEVFirmware
            let product: AMDProduct
            if firmware.hasPrefix("sim:") {
                device = SimulatedFirmware(directory: Self.absolute(String(firmware.dropFirst(4))))
                product = .milan   // the simulated chip
            } else {
                device = LinuxSEVFirmware(path: firmware)
                guard let live = (try? HostProbe(root: .live))?.product, AMDProduct.snpCapable.contains(live) else {
                    throw ValidationError("--snp-certs-table: this CPU is not a Milan, Genoa or Turin")
                }
                product = live
            }
            service.certificateTable = .init(path: Self.absolute(snpCertsTable), firmware: device, product: product, interval: snpCertsInterval)
        }
        return service
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler = SafeLogHandler(json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sevhostd")
        var configuration = DaemonConfiguration(
            socketPath: socket, socketMode: UInt32(socketMode, radix: 8) ?? 0o660,
            socketOwner: try socketOwner.map { try Self.userID($0) }, socketGroup: try socketGroup.map { try Self.groupID($0) },
            stateDirectory: Self.absolute(stateDir), runDirectory: Self.absolute(runDir), qemu: qemu,
            qemuVersion: qemuVersion(logger: logger),
            host: hostParameters(logger: logger),
            stopTimeout: stopTimeout, startTimeout: startTimeout, eventHistory: eventHistory, version: Self.configuration.version,
            headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, maximumConnections: maxConnections,
            crashPoint: ProcessInfo.processInfo.environment[DaemonConfiguration.crashPointVariable].flatMap { $0.isEmpty ? nil : $0 })
        configuration.kds = try kdsService()
        configuration.libvirtURIs = libvirtURIs
        configuration.templatesDirectory = templates.map(Self.absolute)
        do {
            try await DaemonServer.run(configuration, logger: logger)
        } catch let error as DaemonServer.StartupError {
            FileHandle.standardError.write(Data("sevhostd: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The release of `--qemu`, asked once: whether SEV argvs can state `legacy-vm-type`.
    private func qemuVersion(logger: Logger) -> QEMUVersion? {
        switch HostFacts.qemuRelease(of: qemu) {
        case .success(let version):
            return version
        case .failure(let error):
            logger.warning("QEMU version unknown; SEV argvs state legacy-vm-type (QEMU 9.1 or later)", metadata: ["qemu": "\(error)"])
            return nil
        }
    }

    /// Flags first, then the (captured or live) host's CPUID; a host without SEV is not fatal
    /// here, every SEV launch then says why it cannot start.
    private func hostParameters(logger: Logger) -> HostSEVParameters? {
        do {
            let facts = try HostFacts.probe(cbitPosition: cbitPosition, reducedPhysBits: reducedPhysBits, hostRoot: hostRoot)
            if facts.sev == nil {
                logger.warning("C-bit position unknown; SEV launches will be refused", metadata: ["probe": "\(facts.unknownHint ?? "")"])
            }
            return facts.sev
        } catch {
            logger.warning("C-bit position unknown; SEV launches will be refused", metadata: ["probe": "\(error)"])
            return nil
        }
    }

    /// QEMU runs in each VM's directory, so paths the daemon hands it (session files, QMP
    /// sockets) must not be relative to the directory sevhostd was started in.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func userID(_ text: String) throws -> UInt32 {
        if let uid = UInt32(text) { return uid }
        guard let entry = getpwnam(text) else { throw ValidationError("--socket-owner \(text): no such user") }
        return entry.pointee.pw_uid
    }

    static func groupID(_ text: String) throws -> UInt32 {
        if let gid = UInt32(text) { return gid }
        guard let entry = getgrnam(text) else { throw ValidationError("--socket-group \(text): no such group") }
        return entry.pointee.gr_gid
    }
}
