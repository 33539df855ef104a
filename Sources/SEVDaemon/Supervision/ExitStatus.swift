#if canImport(Glibc)
import Glibc
#endif

/// How a QEMU process ended, from `waitpid`'s status, or unknown when the daemon was not its
/// parent (it exited while sevhostd was down, or after a restart).
enum ExitStatus: Sendable, Equatable {
    case exited(Int32)
    case signalled(Int32)
    case unknown

    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signalled(status & 0x7f)
        }
    }

    var isClean: Bool { self == .exited(0) }

    var description: String {
        switch self {
        case .exited(let code): "QEMU exited with status \(code)"
        case .signalled(let signal): "QEMU was killed by signal \(signal) (\(Self.signalName(signal)))"
        case .unknown: "QEMU exited"
        }
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGBUS: "SIGBUS"
        default: "signal \(signal)"
        }
    }
}
