import Foundation
import Orchestration

/// The libvirt driver (`sevhostd --connect URI`…): VMs run as libvirt domains, named as the VM,
/// on the hosts sevhostd keeps a connection to. What differs from the QEMU-child driver is here:
/// placement, the start (define and start the domain, paused for pre-attestation), the end
/// (`virDomainDestroy`), exits (the domain's lifecycle events) and recovery (libvirt's list of
/// domains). The launch itself (measure, gate, inject, resume) is the same `settle`, `inject`
/// and `reconcile` as for a QEMU child, over a `LibvirtGuestChannel`.
extension VMSupervisor {
    /// The host sevhostd was given as `uri`.
    func host(_ uri: String) -> LibvirtLaunch? {
        hosts.first { $0.host.uri == uri }
    }

    var templatesDirectory: URL {
        LaunchTemplates.directory(override: configuration.templatesDirectory)
    }

    // MARK: - define

    /// `create` with libvirt hosts: the VM is placed (the host the request names, else the
    /// first that fits) and its spec resolved against that host's facts and rendered to domain
    /// XML, so every refusal happens here rather than in libvirt at `start`.
    func createDomain(_ document: SpecDocument, request: CreateVMRequest) async throws(DaemonError) -> VMInfo {
        var candidates: [(uri: String, survey: Result<LibvirtHostReport, LaunchFailure>)] = []
        for host in hosts {
            do {
                candidates.append((host.host.uri, .success(try await host.survey())))
            } catch {
                candidates.append((host.host.uri, .failure(LaunchFailure("\(host.host.uri): unreachable (\(error))"))))
            }
        }
        let index: Int
        do {
            index = try LibvirtPlacement.choose(candidates, type: document.typeName, requested: request.host)
        } catch {
            throw .invalidSpec("\(document.file): \(error)")
        }
        let host = hosts[index]
        let launch = try renderDomain(document, on: host).launch
        let expected = try expectation(launch)
        let now = Timestamp.now()
        let record = VMRecord(
            name: document.name, spec: document.compactJSON, file: document.file, type: document.typeName,
            policy: launch.policyHex, preAttestation: launch.waitsForSecret, state: .defined, reason: nil, pid: nil,
            qmp: "", binary: nil, bundle: nil, stopRequested: false, dhCert: launch.dhCert, session: launch.session,
            expected: expected, created: now, updated: now, host: host.host.uri)
        guard try storeCall({ try store.insert(record) }) else { throw .exists("a VM named '\(document.name)' exists") }
        logger.info("defined", metadata: ["vm": "\(document.name)", "type": "\(record.type)", "host": "\(host.host.uri)"])
        return record.info
    }

    /// The spec resolved against `host`'s facts, checked against what its libvirt supports,
    /// and rendered to domain XML.
    private func renderDomain(_ document: SpecDocument, on host: LibvirtLaunch) throws(DaemonError) -> (launch: ResolvedLaunch, xml: String) {
        do {
            let launch = try LaunchResolver(host: host.hostFacts).resolve(document)
            var warnings: [String] = []
            try host.checkSupport(launch) { warnings.append($0) }
            for warning in warnings { logger.warning("\(warning)", metadata: ["vm": "\(document.name)"]) }
            return (launch, try launch.libvirtDomain(templatesDirectory: templatesDirectory))
        } catch {
            throw .invalidSpec(error.description)
        }
    }

    // MARK: - start

    /// `start` for a VM on a libvirt host: journaled as for a QEMU child (`starting`, intent
    /// `spawning`), then the domain is defined and started in the background (`bringUpDomain`).
    func startDomain(_ record: VMRecord, uri: String) throws(DaemonError) -> VMInfo {
        let name = record.name
        guard let host = host(uri) else {
            throw .wrongState("\(name) runs on the libvirt host \(uri), which is not among sevhostd's --connect hosts")
        }
        let launch: ResolvedLaunch, xml: String, expected: String?
        do {
            (launch, xml) = try renderDomain(try sessionDocument(record, directory: configuration.vmDirectory(name)), on: host)
            expected = try expectation(launch)
        } catch {
            metrics.launchFailures.increment()
            return try markFailed(name, reason: error.description).info
        }
        lastToken += 1
        let token = lastToken
        let updated = try update(name, event: ("state", "starting as a libvirt domain on \(uri)")) {
            $0.state = .starting
            $0.reason = nil
            $0.bundle = nil
            $0.pid = nil
            $0.stopRequested = false
            $0.binary = nil
            $0.intent = .spawning
            $0.expected = expected
            $0.domainUUID = nil
        }
        checkpoint(.startRecorded)
        live[name] = LiveVM(pid: token, libvirt: host, isChild: false, startedAt: .now)
        metrics.launches.increment()
        let measure = record.preAttestation
        Task { await self.bringUpDomain(name, token: token, host: host, launch: launch, xml: xml, measure: measure) }
        return updated.info
    }

    /// Subscribes to the domain's events (before it exists, so its start is heard), defines
    /// and starts it, records its UUID, and settles it as any launch: measured at the gate, or
    /// running.
    private func bringUpDomain(_ name: String, token: Int32, host: LibvirtLaunch, launch: ResolvedLaunch, xml: String, measure: Bool) async {
        let uri = host.host.uri
        let channel: LibvirtGuestChannel
        do {
            channel = try await host.channel(domain: name)
        } catch {
            failStart(name, token: token, reason: "libvirt: \(uri): \(error)")
            return
        }
        guard live[name]?.pid == token else {
            await channel.close()
            return
        }
        attach(name, token: token, channel: channel)
        do {
            // A definition left from the VM's previous launch (shut off) is replaced, not
            // redefined: the new XML has no UUID, and libvirt refuses another UUID for a name.
            try await host.undefineIfDefined(domain: name)
            _ = try await host.start(launch, xml: xml, transient: false)
        } catch {
            guard live[name]?.pid == token else { return }
            await channel.close()
            failStart(name, token: token, reason: "libvirt refused the domain on \(uri): \(error)")
            return
        }
        checkpoint(.qemuSpawned)
        // A stop asked for while libvirt was starting the domain found nothing to destroy yet.
        if (try? store.record(name))?.stopRequested == true {
            try? await host.destroy(domain: name)
        }
        let uuid = (try? await host.uuid(domain: name)) ?? ""
        guard live[name]?.pid == token else { return }
        _ = try? update(name, event: ("action", "libvirt domain started on \(uri) (uuid \(uuid))")) {
            $0.domainUUID = uuid
            $0.intent = nil
        }
        checkpoint(.pidRecorded)
        logger.info("libvirt domain started", metadata: ["vm": "\(name)", "host": "\(uri)", "uuid": "\(uuid)"])
        await settle(name, pid: token, channel: channel, measure: measure)
    }

    private func failStart(_ name: String, token: Int32, reason: String) {
        guard live[name]?.pid == token else { return }
        live.removeValue(forKey: name)
        metrics.launchFailures.increment()
        logger.warning("launch failed", metadata: ["vm": "\(name)", "reason": "\(reason)"])
        _ = try? markFailed(name, reason: reason)
    }

    /// Keeps `channel` as the VM's, and turns its domain's events into states.
    private func attach(_ name: String, token: Int32, channel: LibvirtGuestChannel) {
        live[name]?.channel = channel
        live[name]?.eventPump = Task { [weak self] in
            for await event in channel.events { await self?.domainEvent(name, token: token, event) }
        }
    }

    // MARK: - events

    /// One lifecycle event of the VM's domain: recorded (kind `libvirt`), and the ones that
    /// change the VM acted on: `RESUMED` behind the daemon's back at the gate, `STOPPED`.
    func domainEvent(_ name: String, token: Int32, _ event: GuestEvent) async {
        guard live[name]?.pid == token else { return }
        metrics.qmpEvents.increment()
        try? store.append(vm: name, kind: "libvirt", message: "\(event.name) \(event.details)")
        switch event.name {
        case "RESUMED":
            if !busy.contains(name), let record = try? store.record(name), record.state == .awaitingSecret {
                _ = try? update(name, event: ("state", "resumed through libvirt without a secret from sevhostd")) { $0.state = .running }
            }
        case "STOPPED":
            await domainStopped(name, token: token, detail: event.strings["detail"] ?? "")
        default:
            break
        }
    }

    /// The domain's emulator ended (libvirt's `stopped` event, with its detail): a requested
    /// stop or a guest that shut down makes the VM `stopped`; a destroy by someone else too,
    /// with that as its reason; anything else (crashed, failed…) `failed`.
    func domainStopped(_ name: String, token: Int32, detail: String) async {
        guard let vm = live[name], vm.pid == token else { return }
        live.removeValue(forKey: name)
        vm.escalation?.cancel()
        if let channel = vm.channel { await channel.close() }
        guard let record = try? store.record(name) else { return }
        let how = "libvirt: stopped, \(detail)"
        if record.state == .failed {
            try? store.append(vm: name, kind: "action", message: how)
        } else if record.stopRequested || detail == "shutdown" {
            let why = record.stopRequested ? "stopped on request (\(how))" : "the guest shut down (\(how))"
            markStopped(name, event: why)
        } else if detail == "destroyed" {
            let reason = "the domain was destroyed outside sevhostd (\(how))"
            logger.warning("domain destroyed outside sevhostd", metadata: ["vm": "\(name)"])
            markStopped(name, event: "stopped: \(reason)", reason: reason)
        } else {
            var reason = "the domain ended unexpectedly (\(how))"
            if record.state == .starting { reason += " while starting" }
            metrics.crashes.increment()
            logger.warning("domain ended unexpectedly", metadata: ["vm": "\(name)", "reason": "\(reason)"])
            _ = try? markFailed(name, reason: reason)
        }
    }

    // MARK: - recovery

    /// After a restart: the VM's domain looked for in its host's libvirt, by name and the UUID
    /// recorded at its start. An active one is taken over (its events followed, its state
    /// reconciled with libvirt's, as for a QEMU found again); a shut-off, missing or replaced
    /// one makes the VM stopped (a stop was asked for) or failed, saying which.
    func recoverDomain(_ record: VMRecord, uri: String) async {
        let name = record.name
        guard let host = host(uri) else {
            try? store.append(vm: name, kind: "action", message: "its libvirt host \(uri) is not among sevhostd's --connect hosts; left as recorded")
            return
        }
        let domains: [LibvirtDomainStatus]
        do {
            domains = try await host.domains()
        } catch {
            try? store.append(vm: name, kind: "action", message: "cannot list the domains of \(uri) (\(error)); left as recorded")
            return
        }
        let found = domains.first { $0.name == name }
        if let found, let recorded = record.domainUUID, !recorded.isEmpty, found.uuid != recorded {
            _ = try? markFailed(name, reason: "the libvirt domain \(name) on \(uri) is another one (uuid \(found.uuid), this VM's was \(recorded)), found so after a restart")
            return
        }
        guard let found, found.isActive else {
            lostDomain(record, uri: uri, state: found?.state)
            return
        }
        lastToken += 1
        let token = lastToken
        live[name] = LiveVM(pid: token, libvirt: host, isChild: false)
        _ = try? update(name, event: ("action", "found again after a restart: libvirt domain on \(uri) \(found.state), state \(record.state.rawValue)")) {
            $0.domainUUID = found.uuid
            if $0.intent == .spawning { $0.intent = nil }
        }
        logger.info("found again", metadata: ["vm": "\(name)", "host": "\(uri)", "domain": "\(found.state)"])
        let channel: LibvirtGuestChannel
        do {
            channel = try await host.channel(domain: name)
        } catch {
            try? store.append(vm: name, kind: "action", message: "cannot follow the domain's events (\(error)); left as recorded")
            return
        }
        attach(name, token: token, channel: channel)
        // It may have stopped between the listing and the subscription, unheard.
        if let now = try? await host.domains().first(where: { $0.name == name }), !now.isActive {
            await domainStopped(name, token: token, detail: "found \(now.state) after a restart")
            return
        }
        await reconcile(name, pid: token, channel: channel)
    }

    /// A VM whose domain is not running any more: it ended while sevhostd was down, or (the
    /// intent says so) was never started.
    private func lostDomain(_ record: VMRecord, uri: String, state: String?) {
        let name = record.name
        let seen = state.map { "is \($0)" } ?? "is gone"
        if record.stopRequested {
            markStopped(name, event: "stopped on request (the libvirt domain \(seen), found so after a restart)")
            return
        }
        let reason = record.intent == .spawning
            ? "sevhostd stopped while starting the libvirt domain, and the domain on \(uri) \(seen)"
            : "the libvirt domain on \(uri) \(seen): it ended while sevhostd was not running"
        _ = try? markFailed(name, reason: reason)
        logger.warning("VM lost while the daemon was down", metadata: ["vm": "\(name)", "reason": "\(reason)"])
    }
}
