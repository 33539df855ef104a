import AtomicFiles
import Foundation
import Logging
import Orchestration
import SEVKit

/// Keeps the VMs: turns API requests into QEMU processes and store updates, and QEMU's
/// events and exits back into states. An actor, so one VM's life is changed by one thing at a
/// time; the store is the truth and `live` only holds process and QMP handles.
///
/// The lifecycle (see `VMState`): `start` spawns QEMU and returns at once; `bringUp` connects
/// to QMP, reads the launch measurement (pre-attestation) and settles the VM in
/// `awaiting-secret` or `running`; `inject` hands the guest owner's packet to QEMU and
/// continues the guest; the exit watcher turns QEMU's end into `stopped` or `failed`.
actor VMSupervisor {
    let configuration: DaemonConfiguration
    let store: VMStore
    let metrics: DaemonMetrics
    var logger: Logger
    var live: [String: LiveVM] = [:]
    /// VMs with an inject, stop or destroy in progress: a second one is refused, not queued.
    var busy: Set<String> = []
    /// The `SHUTDOWN` event each VM's QEMU sent, if any: why it is about to exit. For a QEMU
    /// found again after a restart it is the only account of its end (it is not our child, so
    /// there is no exit status to read).
    var shutdowns: [String: QEMUShutdown] = [:]
    /// The libvirt hosts of `--connect`, in order, connected with events; empty when sevhostd
    /// runs its VMs as its own QEMU children.
    let hosts: [LibvirtLaunch]
    /// The last launch token handed to a libvirt domain (`LiveVM.pid`).
    var lastToken: Int32 = 0

    init(configuration: DaemonConfiguration, store: VMStore, metrics: DaemonMetrics, logger: Logger, hosts: [LibvirtLaunch] = []) {
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.hosts = hosts
    }

    // MARK: - reading

    func list() throws(DaemonError) -> [VMInfo] {
        try storeCall { try store.all().map(\.info) }
    }

    func info(_ name: String) throws(DaemonError) -> VMInfo {
        try record(name).info
    }

    func record(_ name: String) throws(DaemonError) -> VMRecord {
        guard let record = try storeCall({ try store.record(name) }) else { throw .noSuchVM(name) }
        return record
    }

    func health() throws(DaemonError) -> HealthInfo {
        let all = try storeCall { try store.all() }
        return HealthInfo(status: "ok", version: configuration.version, vms: all.count, active: all.filter(\.state.hasProcess).count)
    }

    /// The AttestationBundle JSON of the current launch.
    func measurement(_ name: String) throws(DaemonError) -> String {
        let record = try record(name)
        guard record.state.hasProcess, let bundle = record.bundle else {
            throw .wrongState("\(name) has no launch measurement (state \(record.state.rawValue)\(record.preAttestation ? "" : ", launched without pre-attestation"))")
        }
        return bundle
    }

    func logs(_ name: String, lines: Int) throws(DaemonError) -> [String] {
        _ = try record(name)
        return LogTail.lines(of: logPath(name), count: lines)
    }

    // MARK: - define, start

    func create(_ request: CreateVMRequest) async throws(DaemonError) -> VMInfo {
        let file = request.file ?? "<spec>"
        var document: SpecDocument
        do {
            document = try SpecDocument.parse(text: request.spec, file: file)
        } catch {
            throw .invalidSpec(error.description)
        }
        // The name becomes a directory and a socket file: '.' and '..' would be the state
        // directory itself or its parent (a destroy would remove them).
        if document.name.hasPrefix(".") {
            throw .invalidSpec("\(file): name: '\(document.name)' cannot start with '.': it names the VM's directory and QMP socket")
        }
        if !hosts.isEmpty {
            return try await createDomain(document, request: request)
        }
        if request.host != nil {
            throw .invalidRequest("host: sevhostd runs its VMs as its own QEMU children (no --connect): there is no host to choose")
        }
        let socket = configuration.qmpSocket(document.name)
        document.setQMPSocket(socket)
        let launch = try resolve(document).launch
        let expected = try expectation(launch)
        if socket.utf8.count > DaemonConfiguration.maximumSocketPathLength {
            throw .invalidSpec("\(file): name: '\(document.name)' is too long: its QMP socket \(socket) exceeds \(DaemonConfiguration.maximumSocketPathLength) bytes")
        }
        let now = Timestamp.now()
        let record = VMRecord(
            name: document.name, spec: document.compactJSON, file: file, type: document.typeName,
            policy: launch.policyHex, preAttestation: launch.waitsForSecret, state: .defined, reason: nil, pid: nil,
            qmp: socket, binary: nil, bundle: nil, stopRequested: false, dhCert: launch.dhCert, session: launch.session,
            expected: expected, created: now, updated: now)
        guard try storeCall({ try store.insert(record) }) else { throw .exists("a VM named '\(document.name)' exists") }
        logger.info("defined", metadata: ["vm": "\(document.name)", "type": "\(record.type)", "policy": "\(record.policy)"])
        return record.info
    }

    func start(_ name: String) throws(DaemonError) -> VMInfo {
        var record = try record(name)
        guard record.state.canStart else {
            throw .wrongState("\(name) is \(record.state.rawValue): only a defined, stopped or failed VM can be started")
        }
        if let previous = live[name] {
            throw .wrongState("\(name): its previous QEMU (pid \(previous.pid)) has not exited yet")
        }
        guard !busy.contains(name) else { throw .wrongState("\(name): another operation is in progress") }
        if let uri = record.host {
            return try startDomain(record, uri: uri)
        }
        let directory = configuration.vmDirectory(name)
        let arguments: [String]
        let expected: String?
        do {
            (arguments, expected) = try launchArguments(record, directory: directory)
        } catch {
            record = try markFailed(name, reason: error.description)
            metrics.launchFailures.increment()
            return record.info
        }
        unlink(record.qmp)
        unlink(directory + "/qemu.pid")
        appendLogBanner(name)
        // Journaled: `starting` with the intent `spawning` is on disk before the process
        // exists, so a daemon killed before it records the pid looks for one (`recover`).
        record = try update(name, event: ("state", "starting \(configuration.qemu)")) {
            $0.state = .starting
            $0.reason = nil
            $0.bundle = nil
            $0.pid = nil
            $0.stopRequested = false
            $0.binary = configuration.qemu
            $0.intent = .spawning
            $0.expected = expected
        }
        checkpoint(.startRecorded)
        let pid: Int32
        do {
            pid = try QEMUProcess.spawn(program: configuration.qemu, arguments: arguments, directory: directory, log: logPath(name))
        } catch {
            metrics.launchFailures.increment()
            return try markFailed(name, reason: error.description).info
        }
        checkpoint(.qemuSpawned)
        record = try update(name, event: ("action", "QEMU started, pid \(pid)")) {
            $0.pid = pid
            $0.intent = nil
        }
        checkpoint(.pidRecorded)
        live[name] = LiveVM(pid: pid, isChild: true, startedAt: .now)
        shutdowns[name] = nil
        metrics.launches.increment()
        logger.info("QEMU started", metadata: ["vm": "\(name)", "pid": "\(pid)"])
        let preAttested = record.preAttestation
        Task { await self.bringUp(name, pid: pid, measure: preAttested) }
        return record.info
    }

    /// QEMU's argv for the stored spec: the session files written into the VM's directory,
    /// the daemon's QMP socket, and `-pidfile` so a restarted daemon can find the process.
    /// For SEV-SNP, the expectation of the launch these arguments sign (`VMExpectation` JSON).
    private func launchArguments(_ record: VMRecord, directory: String) throws(DaemonError) -> (arguments: [String], expected: String?) {
        let document = try sessionDocument(record, directory: directory)
        let (launch, arguments) = try resolve(document)
        return (arguments + ["-pidfile", directory + "/qemu.pid"], try expectation(launch))
    }

    /// The stored spec with the guest owner's session files written into the VM's directory
    /// (0600) and named in it: what either driver launches from.
    func sessionDocument(_ record: VMRecord, directory: String) throws(DaemonError) -> SpecDocument {
        var document: SpecDocument
        do {
            document = try SpecDocument.parse(text: record.spec, file: record.file)
        } catch {
            throw .invalidSpec(error.description)
        }
        do {
            try AtomicFile.createDirectories(directory, mode: AtomicFile.privateDirectoryMode)
            if let dhCert = record.dhCert, let session = record.session {
                try AtomicFile.write(Array(dhCert.utf8), to: directory + "/godh.b64", mode: AtomicFile.secretMode)
                try AtomicFile.write(Array(session.utf8), to: directory + "/session.b64", mode: AtomicFile.secretMode)
                document.setSessionFiles(dhCert: directory + "/godh.b64", session: directory + "/session.b64")
            }
        } catch {
            throw .internalError("\(directory): \(error)")
        }
        return document
    }

    /// What an SNP VM's reports must show, for the launch its argv was built from; nil for SEV.
    func expectation(_ launch: ResolvedLaunch) throws(DaemonError) -> String? {
        do {
            return try launch.snpExpectation().map { VMExpectation(name: launch.document.name, $0).jsonText }
        } catch {
            throw .invalidSpec(error.description)
        }
    }

    /// `GET /v1/vms/{name}/expect`.
    func expect(_ name: String) throws(DaemonError) -> VMExpectation {
        let record = try record(name)
        guard let text = record.expected else {
            throw .wrongState("\(name) is \(record.type): only SEV-SNP guests produce attestation reports")
        }
        do {
            return try JSONDecoder().decode(VMExpectation.self, from: Data(text.utf8))
        } catch {
            throw .internalError("\(name): the recorded expectation does not decode: \(error)")
        }
    }

    /// The launch resolver's checks, with the firmware inspected and the host's C-bit values:
    /// every refusal happens here, not in a QEMU that exits. QEMU's argv is built too, so a
    /// spec that cannot become one is refused at `create`.
    private func resolve(_ document: SpecDocument) throws(DaemonError) -> (launch: ResolvedLaunch, arguments: [String]) {
        do {
            let launch = try resolver.resolve(document)
            return (launch, try launch.qemuArguments())
        } catch {
            throw .invalidSpec(error.description)
        }
    }

    /// How the daemon resolves launches: with the host values it was started with.
    var resolver: LaunchResolver {
        LaunchResolver(host: HostFacts(
            sev: configuration.host,
            unknownHint: "start sevhostd with --cbitpos and --reduced-phys-bits, or on an SEV host",
            qemu: configuration.qemuVersion))
    }

    // MARK: - bring-up

    /// Connects to the new QEMU's QMP socket and settles the VM: measured and paused, or running.
    func bringUp(_ name: String, pid: Int32, measure: Bool) async {
        guard let channel = await connect(name, pid: pid) else { return }
        await settle(name, pid: pid, channel: channel, measure: measure)
    }

    /// Keeps trying the QMP socket until QEMU opens it, exits, or the start timeout passes;
    /// then the launch is abandoned (QEMU killed, the VM failed). With `patient`, for a guest
    /// found again after a restart, it never gives up while the process lives: a monitor that
    /// is slow to answer is no reason to kill a running guest.
    func connect(_ name: String, pid: Int32, patient: Bool = false) async -> (any GuestChannel)? {
        let socket = configuration.qmpSocket(name)
        let deadline = ContinuousClock.now + .seconds(configuration.startTimeout)
        var lastError = "no attempt"
        var reported = false
        while patient || ContinuousClock.now < deadline {
            guard live[name]?.pid == pid else { return nil }
            do {
                let channel = try await QMPGuestChannel.connect(path: socket, timeout: .seconds(10))
                guard live[name]?.pid == pid else {
                    await channel.close()
                    return nil
                }
                live[name]?.channel = channel
                live[name]?.eventPump = Task { [weak self] in
                    for await event in channel.events { await self?.qmpEvent(name, event) }
                }
                logger.info("QMP connected", metadata: ["vm": "\(name)", "pid": "\(pid)"])
                checkpoint(.qmpConnected)
                return channel
            } catch {
                lastError = error.description
            }
            if patient, !reported, ContinuousClock.now >= deadline {
                reported = true
                try? store.append(vm: name, kind: "action", message: "QMP socket not answering (\(lastError)); still trying")
            }
            try? await Task.sleep(for: .milliseconds(ContinuousClock.now < deadline ? 50 : 1000))
        }
        guard live[name]?.pid == pid else { return nil }
        await abandon(name, pid: pid, reason: "QEMU did not answer on its QMP socket within \(Int(configuration.startTimeout)) s (\(lastError))")
        return nil
    }

    /// Reads the launch measurement and parks the VM at the gate, or lets it run.
    func settle(_ name: String, pid: Int32, channel: any GuestChannel, measure: Bool) async {
        if measure {
            let bundle: AttestationBundle
            do {
                bundle = try await AttestationBundle.collect(from: channel)
            } catch {
                guard live[name]?.pid == pid else { return }
                await abandon(name, pid: pid, reason: "pre-attestation: \(error)")
                return
            }
            guard live[name]?.pid == pid else { return }
            checkpoint(.measured)
            let json = String(decoding: bundle.json, as: UTF8.self)
            let prefix = bundle.measurementBytes.map { Hex.encode(Array($0.prefix(8))) } ?? ""
            _ = try? update(name, event: ("state", "paused and measured (measurement \(prefix)…); waiting for the guest owner's secret")) {
                $0.bundle = json
                $0.state = .awaitingSecret
                $0.intent = nil
            }
        } else {
            _ = try? update(name) { $0.intent = .continuing }
            checkpoint(.continueRecorded)
            do {
                if try await !channel.isRunning() { try await channel.resume() }
            } catch {
                guard live[name]?.pid == pid else { return }
                await abandon(name, pid: pid, reason: "QMP: \(error)")
                return
            }
            guard live[name]?.pid == pid else { return }
            checkpoint(.guestContinued)
            _ = try? update(name, event: ("state", "running")) {
                $0.state = .running
                $0.intent = nil
            }
        }
        checkpoint(.startSettled)
        if let startedAt = live[name]?.startedAt {
            metrics.launchSeconds.record(ContinuousClock.now - startedAt)
        }
        logger.info("settled", metadata: ["vm": "\(name)", "pid": "\(pid)", "measured": "\(measure)"])
    }

    /// A launch that cannot go on: QEMU is killed and the VM marked failed with `reason`
    /// (the exit watcher then sees the exit, which changes nothing more).
    func abandon(_ name: String, pid: Int32, reason: String) async {
        logger.warning("launch failed", metadata: ["vm": "\(name)", "reason": "\(reason)"])
        metrics.launchFailures.increment()
        _ = try? markFailed(name, reason: reason)
        end(name, force: true)
    }

    /// Ends the VM's emulator: SIGKILL (or SIGTERM) to a QEMU of the daemon's, `virDomainDestroy`
    /// for a libvirt domain (whose end then arrives as its `stopped` event).
    func end(_ name: String, force: Bool) {
        guard let vm = live[name] else { return }
        if let host = vm.libvirt {
            Task { try? await host.destroy(domain: name) }
        } else {
            kill(vm.pid, force ? SIGKILL : SIGTERM)
        }
    }

    // MARK: - QMP events

    func qmpEvent(_ name: String, _ event: GuestEvent) {
        metrics.qmpEvents.increment()
        var message = event.name
        if !event.details.isEmpty { message += " " + event.details }
        try? store.append(vm: name, kind: "qmp", message: message)
        if event.name == "SHUTDOWN" { shutdowns[name] = QEMUShutdown(event: event) }
        // Someone continued the guest behind the daemon's back (not the inject in progress):
        // say so rather than pretend it is still at the gate.
        if event.name == "RESUME", !busy.contains(name), let record = try? store.record(name), record.state == .awaitingSecret {
            _ = try? update(name, event: ("state", "resumed through QMP without a secret from sevhostd")) { $0.state = .running }
        }
    }

    // MARK: - helpers

    @discardableResult
    func update(_ name: String, event: (kind: String, message: String)? = nil, _ change: (inout VMRecord) -> Void) throws(DaemonError) -> VMRecord {
        guard let record = try storeCall({ try store.update(name, event: event, change) }) else { throw .noSuchVM(name) }
        return record
    }

    /// The VM has no process any more, and that is no failure: `event` says why; `reason`,
    /// when given, stays on the VM (a stop someone else caused).
    func markStopped(_ name: String, event: String, reason: String? = nil) {
        _ = try? update(name, event: ("state", event)) {
            $0.state = .stopped
            $0.reason = reason
            $0.pid = nil
            $0.intent = nil
        }
    }

    @discardableResult
    func markFailed(_ name: String, reason: String) throws(DaemonError) -> VMRecord {
        try update(name, event: ("state", "failed: \(reason)")) {
            $0.state = .failed
            $0.reason = reason
            $0.intent = nil
        }
    }

    func storeCall<T>(_ body: () throws -> T) throws(DaemonError) -> T {
        do {
            return try body()
        } catch {
            throw .internalError("state database: \(error)")
        }
    }

    func logPath(_ name: String) -> String { configuration.vmDirectory(name) + "/qemu.log" }

    /// A line in QEMU's log before each launch, so a failure's stderr lines are this launch's.
    func appendLogBanner(_ name: String) {
        let line = "\(Self.banner) \(Timestamp.now())\n"
        if let handle = FileHandle(forWritingAtPath: logPath(name)) ?? {
            _ = FileManager.default.createFile(atPath: logPath(name), contents: nil, attributes: [.posixPermissions: 0o640])
            return FileHandle(forWritingAtPath: logPath(name))
        }() {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: Data(line.utf8))
            try? handle.close()
        }
    }

    static let banner = "--- sevhostd: launch at"

    /// The last few lines QEMU printed in its current launch.
    func lastOutput(_ name: String, lines: Int = 5) -> [String] {
        let tail = LogTail.lines(of: logPath(name), count: 200)
        let launch = tail.lastIndex(where: { $0.hasPrefix(Self.banner) }).map { Array(tail[($0 + 1)...]) } ?? tail
        return Array(launch.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(lines))
    }

}

extension VMSupervisor {
    /// Events after `after` (one VM's or all) and the last sequence number handed out.
    func events(vm: String?, after: Int64) throws(DaemonError) -> ([VMEvent], Int64) {
        try storeCall {
            let (events, last) = try store.events(vm: vm, after: after)
            return (events.map(\.event), last)
        }
    }
}
