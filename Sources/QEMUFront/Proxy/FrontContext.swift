import NIOCore

/// What every connection of one front shares: the simulated AMD-SP, the tag marker, whether
/// the guest is ready to be served, and what to do when the hardware ends QEMU.
///
/// Confined to the front's single event loop (all listeners, connections and the control
/// client run on it), which serialises the simulated AMD-SP's state; that is the reason for
/// `@unchecked Sendable`.
public final class FrontContext: @unchecked Sendable {
    public let loop: any EventLoop
    public let processor: any SimulatedSecureProcessor
    public let tagging: QMPTagging
    /// Called on the loop when the guest's start fails as the real QEMU's would (it exits).
    let onFailure: @Sendable (QEMUFailure) -> Void

    private(set) var isReady = false
    private var waitingForReady: [() -> Void] = []
    private(set) var openConnections = 0
    private var whenAllClosed: [() -> Void] = []

    public init(loop: any EventLoop, processor: any SimulatedSecureProcessor, tagging: QMPTagging = QMPTagging(),
                onFailure: @escaping @Sendable (QEMUFailure) -> Void) {
        self.loop = loop
        self.processor = processor
        self.tagging = tagging
        self.onFailure = onFailure
    }

    /// The launch is done: QEMU's greeting may now reach the clients (a client that connected
    /// earlier waits for it, as it would wait on a QEMU still building its machine).
    public func markReady() {
        loop.preconditionInEventLoop()
        isReady = true
        let waiting = waitingForReady
        waitingForReady = []
        for action in waiting { action() }
    }

    func whenReady(_ action: @escaping () -> Void) {
        if isReady { action() } else { waitingForReady.append(action) }
    }

    func connectionOpened() { openConnections += 1 }

    func connectionClosed() {
        openConnections -= 1
        if openConnections == 0 {
            let actions = whenAllClosed
            whenAllClosed = []
            for action in actions { action() }
        }
    }

    /// Runs `action` once no client connection is open (at once when none is).
    public func whenAllConnectionsClosed(_ action: @escaping () -> Void) {
        loop.preconditionInEventLoop()
        if openConnections == 0 { action() } else { whenAllClosed.append(action) }
    }

    /// The guest started running (QEMU sent RESUME on some monitor).
    func guestStarted() {
        if let failure = processor.guestStarts() { onFailure(failure) }
    }
}
