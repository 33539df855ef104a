/// `cont`: resumes a paused (or `-S` prelaunch) guest. QEMU emits `RESUME`.
public struct Cont: QMPCommand {
    public typealias Reply = QMPEmptyReply
    public static let name = "cont"
    public init() {}
}

/// `stop`: pauses the guest's vCPUs. QEMU emits `STOP`.
public struct Stop: QMPCommand {
    public typealias Reply = QMPEmptyReply
    public static let name = "stop"
    public init() {}
}

/// `quit`: asks QEMU to exit. QEMU emits `SHUTDOWN`, replies, and closes the socket.
public struct Quit: QMPCommand {
    public typealias Reply = QMPEmptyReply
    public static let name = "quit"
    public init() {}
}
