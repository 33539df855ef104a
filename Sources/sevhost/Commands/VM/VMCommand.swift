import ArgumentParser

/// `sevhost vm`: the VMs sevhostd keeps, through its API socket.
struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "Manage the confidential VMs sevhostd runs (through its API socket).",
        discussion: """
            sevhostd keeps the VMs of a host: it launches them from specs, holds pre-attested \
            guests paused until the guest owner's secret arrives, and supervises QEMU. These \
            commands talk to it over its Unix socket: --daemon SOCKET, else $SEVHOST_DAEMON, \
            else /run/sevhost/sevhostd.sock. A failure is one line on stderr, \
            `sevhost: vm VERB: MESSAGE`, with exit status 1; `vm inject` exits with status 2 \
            when the daemon or the firmware refused the secret.
            """ + "\n\n" + CommandExamples.text("sevhost vm list", "sevhost vm start guest"),
        subcommands: [
            VMCreateCommand.self, VMListCommand.self, VMShowCommand.self, VMStartCommand.self,
            VMStopCommand.self, VMDestroyCommand.self, VMMeasurementCommand.self, VMExpectCommand.self, VMInjectCommand.self,
            VMEventsCommand.self, VMLogsCommand.self,
        ]
    )
}
