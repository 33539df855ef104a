import Dispatch
import Foundation

/// The signals the front handles. Like QEMU it ends on SIGTERM, SIGINT and SIGHUP: it passes
/// them to the real QEMU, which sends its `SHUTDOWN` event (`host-signal`) and exits, and then
/// the front exits as QEMU did. SIGUSR1 stands for the guest powering itself off
/// (`GuestPowerOff`), which a real guest decides and a test has to ask for.
public enum FrontSignals {
    static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP]
    static let guestPowerOff = SIGUSR1

    /// Blocks the handled signals in this thread, so that every thread started afterwards
    /// blocks them too: a process-directed signal then waits for the dispatch sources instead
    /// of reaching a thread that would die of it. Call it first in `main`, before any thread
    /// exists. (The real QEMU starts with no signal blocked.)
    public static func blockInEveryThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in forwarded + [guestPowerOff] { sigaddset(&set, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Installs the handlers; the returned sources must be kept alive. A signal that came before
    /// is not lost: blocked, it stayed pending, and the source reads it (a signalfd on Linux).
    /// The disposition stays the default one: SIG_IGN would discard a pending signal.
    static func install(forward: @escaping @Sendable (Int32) -> Void, powerOff: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        (forwarded + [guestPowerOff]).map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if signalNumber == guestPowerOff { powerOff() } else { forward(signalNumber) }
            }
            source.resume()
            return source
        }
    }
}
