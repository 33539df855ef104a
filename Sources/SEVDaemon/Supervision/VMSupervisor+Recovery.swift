import Foundation
import Orchestration

extension VMSupervisor {
    /// After a restart (a crash, `kill -9`, an upgrade): every VM the store says has a QEMU
    /// is looked for, by the pid it recorded, QEMU's pid file, or else the process whose
    /// command line names the VM's QMP socket, always checked against that socket. A live one is taken over (its QMP socket
    /// reconnected, a launch that was starting carried on); a gone one is marked failed. No
    /// VM is ever started again by recovery.
    func recover() async {
        guard let records = try? store.all() else { return }
        for record in records where record.state.hasProcess {
            let pidFile = configuration.vmDirectory(record.name) + "/qemu.pid"
            let pid = record.pid ?? QEMUProcess.readPidFile(pidFile) ?? QEMUProcess.find(qmpSocket: record.qmp)
            guard let pid, QEMUProcess.isRunning(pid: pid, qmpSocket: record.qmp) else {
                var reason = "QEMU\(pid.map { " (pid \($0))" } ?? "") exited while sevhostd was not running"
                let output = lastOutput(record.name)
                if !output.isEmpty { reason += "; last output: " + output.joined(separator: " | ") }
                _ = try? markFailed(record.name, reason: reason)
                logger.warning("VM lost while the daemon was down", metadata: ["vm": "\(record.name)", "reason": "\(reason)"])
                continue
            }
            live[record.name] = LiveVM(pid: pid, isChild: false)
            _ = try? update(record.name, event: ("action", "found again after a restart: pid \(pid), state \(record.state.rawValue)")) {
                $0.pid = pid
            }
            logger.info("found again", metadata: ["vm": "\(record.name)", "pid": "\(pid)", "state": "\(record.state.rawValue)"])
            let state = record.state
            let measured = record.bundle != nil
            let preAttested = record.preAttestation
            let name = record.name
            Task { await self.reattach(name, pid: pid, state: state, measured: measured, preAttested: preAttested) }
        }
    }

    /// Reconnects to a VM found again and finishes what the previous daemon left half done.
    private func reattach(_ name: String, pid: Int32, state: VMState, measured: Bool, preAttested: Bool) async {
        // A launch that was starting may still be abandoned after the start timeout; a guest
        // at the gate or running is never killed for a slow monitor.
        guard let channel = await connect(name, pid: pid, patient: state != .starting) else { return }
        if state == .starting || (state == .awaitingSecret && !measured) {
            await settle(name, pid: pid, channel: channel, measure: preAttested)
        }
    }
}
