import CProcess
import Foundation

/// The real QEMU, started by the front as a child that dies with it.
public struct QEMUChild: Sendable {
    public let pid: Int32
    /// QEMU's program name in its messages (`qemu-system-x86_64`): the front prints the
    /// hardware's refusals under it, as QEMU would.
    public let programName: String

    /// The QEMU binary: `explicit` (`--sim-qemu`, `SEVHOST_SIM_QEMU`), else the first
    /// `qemu-system-x86_64` on PATH that is not this executable (sevhost-sim may be installed
    /// under that name, for libvirt).
    public static func locate(explicit: String?, environment: [String: String]) -> String? {
        if let explicit, !explicit.isEmpty { return explicit }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = String(directory) + "/qemu-system-x86_64"
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            if URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path != me { return candidate }
        }
        return nil
    }

    /// Starts `program` with `arguments`. Call it from the main thread: the kernel kills the
    /// child when the thread that started it ends, and the main thread ends only with the process.
    public static func spawn(program: String, arguments: [String]) throws(FrontArgumentError) -> QEMUChild {
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pid: pid_t = 0
        let status = csev_spawn_tied(program, argv, environment, &pid)
        guard status == 0 else {
            throw FrontArgumentError("cannot run \(program): \(String(cString: strerror(status)))")
        }
        return QEMUChild(pid: pid, programName: (program as NSString).lastPathComponent)
    }
}
