import Dispatch
import Foundation
import NIOCore
import QMP

/// The QMP connections that have negotiated capabilities: where an event that no command
/// caused (a shutdown on a signal) is sent, as QEMU sends its events to every monitor.
///
/// Unchecked Sendable: every connection of the server shares its one event loop, and the set is
/// only touched on that loop.
final class NegotiatedConnections: @unchecked Sendable {
    private var channels: [ObjectIdentifier: any Channel] = [:]

    func add(_ channel: any Channel) { channels[ObjectIdentifier(channel)] = channel }
    func remove(_ channel: any Channel) { channels[ObjectIdentifier(channel)] = nil }

    func broadcast(_ message: QMPValue) {
        for channel in channels.values {
            var buffer = channel.allocator.buffer(capacity: 128)
            buffer.writeString(message.jsonText())
            buffer.writeString("\r\n")
            channel.writeAndFlush(buffer, promise: nil)
        }
    }
}

/// How the simulated QEMU ends when it is signalled, as QEMU does: on SIGTERM, SIGINT or
/// SIGHUP it emits `SHUTDOWN` (`guest: false`, `reason: host-signal`) and exits with status 0.
/// SIGUSR1 stands for the simulated guest powering itself off (`guest: true`,
/// `reason: guest-shutdown`), which a real guest decides and a simulator has to be told.
enum ShutdownSignals {
    static let hostSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]
    static let guestPowerOff = SIGUSR1

    /// Blocks the shutdown signals in this thread, so that every thread started afterwards
    /// blocks them too: a process-directed signal then stays pending until the dispatch
    /// sources read it, instead of reaching a thread that would drop it (SIG_IGN) or die of it.
    /// Called first thing in `main`, before any other thread exists.
    static func blockInEveryThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in hostSignals + [guestPowerOff] { sigaddset(&set, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Installs the handlers; the returned sources must be kept alive.
    static func install(
        on loop: any EventLoop, connections: NegotiatedConnections, socketPath: String
    ) -> [any DispatchSourceSignal] {
        (hostSignals + [guestPowerOff]).map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let guest = signalNumber == guestPowerOff
                FileHandle.standardError.write(Data(
                    (guest ? "sevhost-sim: the guest powered off\n" : "sevhost-sim: terminating on signal \(signalNumber)\n").utf8))
                loop.execute {
                    connections.broadcast(QMPServerHandler.event(QMPEvent(
                        name: "SHUTDOWN",
                        data: ["guest": .bool(guest), "reason": .string(guest ? "guest-shutdown" : "host-signal")])))
                    unlink(socketPath)
                    // As after `quit`: give the event a moment to leave.
                    loop.scheduleTask(in: .milliseconds(50)) { exit(0) }
                }
            }
            source.resume()
            return source
        }
    }
}
