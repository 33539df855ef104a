import ArgumentParser
import Foundation
import Orchestration

/// `sevhost vm events [NAME]`: the daemon's event history, and with --follow, its future.
struct VMEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the events of one VM or of all: state changes, QEMU's QMP events, daemon actions.",
        discussion: """
            One line per event, `SEQ TIME VM KIND MESSAGE`, oldest first (--json: one JSON \
            object per line). --follow keeps asking the daemon for newer events (long polls of \
            30 s) until interrupted; when the daemon goes away after answering once (a \
            restart), it says so once on stderr and asks again every second.
            """ + "\n\n" + CommandExamples.text("sevhost vm events guest --after 10")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name (default: every VM).")
    var name: String?

    @Option(help: ArgumentHelp("Only events with a sequence number greater than this.", valueName: "SEQ"))
    var after: Int64 = 0

    @Flag(help: "Wait for new events until interrupted.")
    var follow = false

    @Flag(help: "Print each event as one JSON object per line.")
    var json = false

    /// How long each --follow request asks the daemon to hold it.
    static let followWait = 30

    /// How long --follow waits before asking a daemon that went away again.
    static let retryInterval: Duration = .seconds(1)

    /// Failures a daemon restart causes: no socket for a moment, a connection cut mid-answer.
    static func isTransient(_ error: DaemonClientError) -> Bool {
        switch error {
        case .cannotConnect, .malformedResponse: true
        case .api, .timedOut: false
        }
    }

    func validate() throws {
        guard after >= 0 else { throw ValidationError("--after: expected a sequence number (0 or more)") }
    }

    func run() async throws {
        try await VMReport.run("events", vm: name, options: options) {
            let client = options.client
            var after = self.after
            var answered = false
            var retrying = false
            repeat {
                let wait = follow ? Self.followWait : nil
                let list: VMEventList
                do {
                    list = if let name {
                        try await client.events(of: name, after: after, wait: wait)
                    } else {
                        try await client.events(after: after, wait: wait)
                    }
                } catch let error as DaemonClientError where follow && answered && Self.isTransient(error) {
                    // The daemon went away under a follower (restarted, say): keep asking,
                    // from the last event seen, so that nothing is missed or printed twice.
                    if !retrying {
                        let message = VMReport.message(error, vm: name, socket: options.socketPath)
                        CommandFailure.report("vm events: \(message); retrying every second")
                        retrying = true
                    }
                    try await Task.sleep(for: Self.retryInterval)
                    continue
                }
                answered = true
                retrying = false
                var text = ""
                for event in list.events {
                    text += (json ? JSONOutput.render(JSONOutput.schema("vm-events"), event, pretty: false) : VMRender.line(event)) + "\n"
                }
                VMOutput.write(text)
                after = list.events.last?.seq ?? max(after, list.last)
            } while follow
        }
    }
}
