import CLibvirt
import Foundation

/// libvirt's default event loop, run on one thread of its own for the whole process.
///
/// libvirt delivers domain events (and keeps a remote connection's keepalive) only through an
/// event loop registered before the connection is opened; `virEventRunDefaultImpl` runs one
/// iteration and blocks until something happens, so it gets a dedicated thread rather than a
/// place on Swift concurrency's pool. Started once, on the first connection that asks for
/// events, and never stopped: it costs a sleeping thread.
enum LibvirtEventLoop {
    /// Registers the loop and starts its thread; later uses find it running.
    static let running: Bool = {
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        let thread = Thread {
            while true {
                // It fails only if the loop's own plumbing broke; do not spin on that.
                if virEventRunDefaultImpl() < 0 { usleep(100_000) }
            }
        }
        thread.name = "sevhost.libvirt-events"
        thread.start()
        return true
    }()
}
