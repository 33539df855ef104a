import Foundation
import Orchestration

extension VMSupervisor {
    /// Asks QEMU to quit (QMP `quit`), escalating to SIGTERM and then SIGKILL when it has not
    /// gone after the stop timeout; `force` sends SIGKILL at once. The VM becomes `stopped`
    /// when the exit watcher sees the process end.
    func stop(_ name: String, force: Bool) throws(DaemonError) -> VMInfo {
        let record = try record(name)
        guard record.state.hasProcess, let vm = live[name] else {
            throw .wrongState("\(name) is \(record.state.rawValue): it has no QEMU process to stop")
        }
        // An injection in progress finishes first (a quit in its middle would leave the owner
        // not knowing whether the secret went in); force does not wait.
        guard force || !busy.contains(name) else {
            throw .wrongState("\(name): an injection is in progress; stop again when it is done, or stop with force")
        }
        if vm.libvirt != nil {
            // libvirt has no quit of its own: virDomainDestroy ends the emulator at once, as
            // QEMU's quit does. The domain's `stopped` event settles the VM.
            let updated = try update(name, event: ("action", "stop requested: virDomainDestroy")) { $0.stopRequested = true }
            end(name, force: true)
            return updated.info
        }
        let updated = try update(name, event: ("action", force ? "stop requested: SIGKILL" : "stop requested: quit")) {
            $0.stopRequested = true
        }
        if force {
            kill(vm.pid, SIGKILL)
            return updated.info
        }
        let pid = vm.pid
        let grace = Duration.seconds(configuration.stopTimeout)
        if let channel = vm.channel {
            Task { try? await channel.quit(timeout: .seconds(5)) }
        } else {
            kill(pid, SIGTERM)
        }
        live[name]?.escalation?.cancel()
        live[name]?.escalation = Task { [weak self] in
            try? await Task.sleep(for: grace)
            guard await self?.live[name]?.pid == pid, !Task.isCancelled else { return }
            kill(pid, SIGTERM)
            try? await Task.sleep(for: .seconds(5))
            guard await self?.live[name]?.pid == pid, !Task.isCancelled else { return }
            kill(pid, SIGKILL)
        }
        return updated.info
    }

    /// Removes a VM, its history and its directory. One with a process is refused unless
    /// `force`, which kills QEMU first.
    func destroy(_ name: String, force: Bool) async throws(DaemonError) {
        let record = try record(name)
        guard !busy.contains(name) else { throw .wrongState("\(name): another operation is in progress") }
        if record.state.hasProcess || live[name] != nil {
            guard force else {
                throw .wrongState("\(name) is \(record.state.rawValue): stop it first, or destroy with force")
            }
            busy.insert(name)
            defer { busy.remove(name) }
            _ = try? stop(name, force: true)
            let deadline = ContinuousClock.now + .seconds(10)
            while live[name] != nil, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(50))
            }
            guard live[name] == nil else {
                if record.host != nil { throw .qemu("\(name): libvirt did not report the domain stopped after virDomainDestroy") }
                throw .qemu("\(name): QEMU (pid \(record.pid ?? 0)) did not exit after SIGKILL")
            }
        }
        if let uri = record.host, let host = host(uri) {
            // The definition goes with the VM; one already gone is no error.
            do {
                try await host.undefineIfDefined(domain: name)
            } catch {
                throw .qemu("\(name): cannot undefine the libvirt domain on \(uri): \(error)")
            }
        }
        try storeCall { try store.delete(name) }
        try? FileManager.default.removeItem(atPath: configuration.vmDirectory(name))
        unlink(record.qmp)
        logger.info("destroyed", metadata: ["vm": "\(name)"])
    }

    // MARK: - exits

    /// Polls every supervised process: `waitpid` for the daemon's children (which also reaps
    /// them), the pid and its command line for processes found again after a restart. One
    /// loop for all VMs, so 64 guests cost one timer, not 64 blocked threads.
    func watchExits() async {
        while !Task.isCancelled {
            for (name, vm) in live where vm.libvirt == nil {
                if let status = exitStatus(of: vm, qmp: configuration.qmpSocket(name)) {
                    await processExited(name, pid: vm.pid, status: status)
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits for `task` to end, for at most a second.
    private static func waitBriefly(for task: Task<Void, Never>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask { try? await Task.sleep(for: .seconds(1)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func exitStatus(of vm: LiveVM, qmp: String) -> ExitStatus? {
        if vm.isChild {
            var status: Int32 = 0
            let result = waitpid(vm.pid, &status, WNOHANG)
            if result == vm.pid { return ExitStatus(waitStatus: status) }
            if result == 0 { return nil }
        }
        return QEMUProcess.isRunning(pid: vm.pid, qmpSocket: qmp) ? nil : .unknown
    }

    /// QEMU is gone: a requested stop, a clean guest shutdown or a shutdown QEMU announced
    /// (its `SHUTDOWN` event: the guest powered off, or a signal from the host) makes the VM
    /// `stopped`; anything else `failed`, with how it ended and its last output.
    func processExited(_ name: String, pid: Int32, status: ExitStatus) async {
        guard let vm = live.removeValue(forKey: name), vm.pid == pid else { return }
        vm.escalation?.cancel()
        // The events QEMU sent before it went (its SHUTDOWN above all) are still being read:
        // its socket is closed, so the pump ends once it has handed them over.
        if let pump = vm.eventPump { await Self.waitBriefly(for: pump) }
        vm.eventPump?.cancel()
        if let channel = vm.channel { await channel.close() }
        unlink(configuration.qmpSocket(name))
        let shutdown = shutdowns.removeValue(forKey: name)
        guard let record = try? store.record(name) else { return }
        let output = lastOutput(name)
        if record.state == .failed {
            // Already failed by the daemon (e.g. the measurement could not be read): keep that reason.
            try? store.append(vm: name, kind: "action", message: "\(status.description)")
        } else if record.stopRequested || shutdown?.endsCleanly(status) == true || (status.isClean && record.state != .starting) {
            let why: String
            if record.stopRequested {
                why = "stopped on request (\(status.description))"
            } else if let shutdown, !shutdown.guest {
                why = "stopped outside sevhostd (QEMU's SHUTDOWN: \(shutdown.reason); \(status.description))"
            } else {
                why = "the guest shut down (\(status.description))"
            }
            markStopped(name, event: why)
        } else {
            var reason = status.description
            if record.state == .starting { reason += " while starting" }
            if !output.isEmpty { reason += "; last output: " + output.joined(separator: " | ") }
            metrics.crashes.increment()
            logger.warning("QEMU ended unexpectedly", metadata: ["vm": "\(name)", "pid": "\(pid)", "reason": "\(reason)"])
            _ = try? update(name, event: ("state", "failed: \(reason)")) {
                $0.state = .failed
                $0.reason = reason
                $0.pid = nil
                $0.intent = nil
            }
        }
    }
}
