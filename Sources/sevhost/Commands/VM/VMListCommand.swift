import ArgumentParser
import Foundation
import Orchestration

/// `sevhost vm list`: one row per VM.
struct VMListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the daemon's VMs: name, state, type, policy and QEMU's pid.",
        discussion: CommandExamples.text("sevhost vm list --json")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Flag(help: "Print the daemon's JSON (sorted keys).")
    var json = false

    func run() async throws {
        try await VMReport.run("list", options: options) {
            let list = try await options.client.listVMs()
            print(json ? JSONOutput.render(JSONOutput.schema("vm-list"), list) : VMRender.table(list.vms), terminator: "")
        }
    }
}

/// How the `vm` commands print the daemon's answers.
enum VMRender {
    /// `NAME  STATE  TYPE  POLICY  PID`, columns as wide as their widest cell, two spaces
    /// apart, the last one unpadded; `-` for a VM without a process. With libvirt hosts
    /// (any VM has one) a `HOST` column follows, `-` for a VM run as sevhostd's own QEMU.
    static func table(_ vms: [VMInfo]) -> String {
        let hosts = vms.contains { $0.host != nil }
        var rows = [["NAME", "STATE", "TYPE", "POLICY", "PID"] + (hosts ? ["HOST"] : [])]
        for vm in vms {
            rows.append([vm.name, vm.state.rawValue, vm.type, vm.policy, vm.pid.map(String.init) ?? "-"] + (hosts ? [vm.host ?? "-"] : []))
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var text = ""
        for row in rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            text += line + "\n"
        }
        return text
    }

    /// `key: value` lines; continuation lines of a multi-line reason are indented.
    static func details(_ vm: VMInfo) -> String {
        var lines = ["name: \(vm.name)", "state: \(vm.state.rawValue)"]
        if let reason = vm.reason {
            lines.append("reason: " + reason.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  "))
        }
        lines += [
            "type: \(vm.type)",
            "policy: \(vm.policy)",
            "pre-attestation: \(vm.preAttestation)",
            "pid: \(vm.pid.map(String.init) ?? "-")",
            vm.host.map { "host: \($0)" } ?? "qmp: \(vm.qmp)",
            "measured: \(vm.measured)",
            "created: \(vm.created)",
            "updated: \(vm.updated)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// One event on one line: `SEQ TIME VM KIND MESSAGE` (a multi-line message joined by ` | `).
    static func line(_ event: VMEvent) -> String {
        var message = event.message.split(separator: "\n").joined(separator: " | ")
        if message.isEmpty, let state = event.state { message = state.rawValue }
        return "\(event.seq) \(event.time) \(event.vm) \(event.kind) \(message)"
    }
}
