import Foundation
import Orchestration

extension VMSupervisor {
    /// After a restart (a crash, `kill -9`, an upgrade): every VM the store says has a QEMU,
    /// or was having one started, is looked for, by the pid it recorded, QEMU's pid file, or
    /// else the process whose command line names the VM's QMP socket, always checked against
    /// that socket. A live one is taken over: its QMP socket reconnected and its state
    /// reconciled with what QEMU reports (`reconcile`); a gone one is marked stopped (a stop
    /// was asked for) or failed. No VM is ever started again by recovery.
    func recover() async {
        guard let records = try? store.all() else { return }
        for record in records where record.state.hasProcess || record.intent != nil {
            if let uri = record.host {
                await recoverDomain(record, uri: uri)
                continue
            }
            let pidFile = configuration.vmDirectory(record.name) + "/qemu.pid"
            let pid = record.pid ?? QEMUProcess.readPidFile(pidFile) ?? QEMUProcess.find(qmpSocket: record.qmp)
            guard let pid, QEMUProcess.isRunning(pid: pid, qmpSocket: record.qmp) else {
                lost(record, pid: pid)
                continue
            }
            live[record.name] = LiveVM(pid: pid, isChild: false)
            _ = try? update(record.name, event: ("action", "found again after a restart: pid \(pid), state \(record.state.rawValue)")) {
                $0.pid = pid
                if $0.intent == .spawning { $0.intent = nil }
            }
            logger.info("found again", metadata: ["vm": "\(record.name)", "pid": "\(pid)", "state": "\(record.state.rawValue)"])
            let name = record.name
            Task { await self.reattach(name, pid: pid, starting: record.state == .starting) }
        }
    }

    /// A VM whose QEMU is not there: it ended while the daemon was down, or (the intent says
    /// so) was never spawned.
    private func lost(_ record: VMRecord, pid: Int32?) {
        let name = record.name
        if record.stopRequested {
            markStopped(name, event: "stopped on request (QEMU exited while sevhostd was not running)")
            return
        }
        var reason = record.intent == .spawning && pid == nil
            ? "sevhostd stopped while starting QEMU, and no QEMU process for the VM was found"
            : "QEMU\(pid.map { " (pid \($0))" } ?? "") exited while sevhostd was not running"
        let output = lastOutput(name)
        if !output.isEmpty { reason += "; last output: " + output.joined(separator: " | ") }
        _ = try? markFailed(name, reason: reason)
        logger.warning("VM lost while the daemon was down", metadata: ["vm": "\(name)", "reason": "\(reason)"])
    }

    /// Reconnects to a VM found again and settles it with what its QEMU reports.
    private func reattach(_ name: String, pid: Int32, starting: Bool) async {
        // A launch that was starting may still be abandoned after the start timeout; a guest
        // at the gate or running is never killed for a slow monitor.
        guard let channel = await connect(name, pid: pid, patient: !starting) else { return }
        await reconcile(name, pid: pid, channel: channel)
    }

    /// Brings the store in line with QEMU, whatever the previous daemon was doing when it died:
    ///
    /// | QEMU reports                       | the VM becomes                                        |
    /// |------------------------------------|-------------------------------------------------------|
    /// | vCPUs running                      | `running` (the injection or start finished, or someone continued it) |
    /// | paused, SEV `launch-secret`, the secret accepted (intent `continuing-after-injection`) | `cont` is sent: `running` |
    /// | paused, SEV `launch-secret`, an injection was being sent | `awaiting-secret`: QEMU cannot say whether the secret reached the firmware; the owner may inject again |
    /// | paused, SEV `launch-secret`, not yet measured | measured now: `awaiting-secret` |
    /// | paused, no pre-attestation to wait for | `cont` is sent: `running` |
    /// | paused, anything else while `starting` | the launch goes on as a start does (`settle`) |
    func reconcile(_ name: String, pid: Int32, channel: any GuestChannel) async {
        let report: GuestLaunchState
        do {
            report = try await channel.launchState()
        } catch {
            guard live[name]?.pid == pid else { return }
            try? store.append(vm: name, kind: "action", message: "cannot read QEMU's state after a restart (\(error)); left as recorded")
            return
        }
        guard live[name]?.pid == pid, let record = try? store.record(name) else { return }
        let intent = record.intent
        if report.running {
            guard record.state != .running || intent != nil else { return }
            let why: String
            switch intent {
            case .injecting, .continuingAfterInjection: why = "secret injected; guest continued (found so after a restart)"
            case .continuing: why = "running (found so after a restart)"
            default:
                why = record.state == .running ? "running (found so after a restart)" : "resumed without a secret from sevhostd (found so after a restart)"
            }
            _ = try? update(name, event: ("state", why)) {
                $0.state = .running
                $0.intent = nil
            }
            return
        }
        if report.awaitsSecret, record.preAttestation {
            switch intent {
            case .continuingAfterInjection:
                // QEMU took the secret before the daemon died; finish what it was doing.
                try? store.append(vm: name, kind: "action", message: "the secret was injected before a restart; continuing the guest")
                // Busy, as an injection is: QEMU's RESUME is this continuation, not someone else's.
                busy.insert(name)
                defer { busy.remove(name) }
                do {
                    try await channel.resume()
                } catch {
                    try? store.append(vm: name, kind: "action", message: "cannot continue the guest: \(error)")
                    return
                }
                _ = try? update(name, event: ("state", "secret injected; guest continued (after a restart)")) {
                    $0.state = .running
                    $0.intent = nil
                }
            case .injecting:
                _ = try? update(name, event: ("state", "an injection was cut short by a restart: whether the secret reached the firmware cannot be told; the guest stays paused, inject the answer again")) {
                    $0.state = .awaitingSecret
                    $0.intent = nil
                }
            default:
                if record.bundle == nil || record.state == .starting {
                    await settle(name, pid: pid, channel: channel, measure: true)
                } else if record.state != .awaitingSecret {
                    _ = try? update(name, event: ("state", "paused at the gate (found so after a restart)")) {
                        $0.state = .awaitingSecret
                        $0.intent = nil
                    }
                }
            }
            return
        }
        if record.state == .starting || intent == .continuing {
            await settle(name, pid: pid, channel: channel, measure: record.preAttestation)
        }
    }
}
