import AtomicFiles
import Foundation
import NIOCore
import NIOPosix
import QMP
import SEVKit
import SEVLaunchSimulator

/// sevhost-sim's life: QEMU's command line in, the real QEMU started with the SEV parts taken
/// out (`FrontPlan`), the simulated AMD-SP launching the guest from what QEMU made of the argv
/// (`QEMUGuestFacts`, `SEVSecureProcessor`), the client-facing QMP monitors served through the
/// proxy (`QMPFrontConnection`), and an exit like QEMU's, with QEMU's status.
public final class FrontRuntime: @unchecked Sendable {
    private let plan: FrontPlan
    private let privateDirectory: String
    private let qemu: QEMUChild
    private let group: MultiThreadedEventLoopGroup
    private var context: FrontContext!
    private var listeners: [any Channel] = []
    private var control: QMPClient?
    private var machineType = ""
    private var ending = false
    private var signalSources: [any DispatchSourceSignal] = []

    /// Lines of sevhost-sim's own (not QEMU's) on stderr.
    @Sendable public static func log(_ message: String) {
        FileHandle.standardError.write(Data("sevhost-sim: \(message)\n".utf8))
    }

    /// Runs the front for `arguments` (QEMU's argv, without argv[0]) and exits. Call it from
    /// the main thread, after `FrontSignals.blockInEveryThread()`.
    public static func run(arguments: [String]) -> Never {
        let environment = ProcessInfo.processInfo.environment
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        PrivateDirectory.removeAbandoned(in: temporary)
        let privateDirectory: String
        do {
            privateDirectory = try PrivateDirectory.make(in: temporary)
        } catch {
            fail(error.description)
        }

        // Before QEMU runs, a refusal leaves nothing behind.
        func failEarly(_ message: String) -> Never {
            rmdir(privateDirectory)
            fail(message)
        }

        var acceleratorNote: String?
        var plan: FrontPlan
        do {
            plan = try FrontPlan(arguments: arguments, privateDirectory: privateDirectory) { override in
                guard case .tcg(let reason) = AcceleratorChoice.decide(override: override ?? environment["SEVHOST_SIM_ACCEL"]) else { return false }
                acceleratorNote = reason
                return true
            }
        } catch {
            failEarly(error.description)
        }
        // Only an SEV-SNP guest asks its AMD-SP for reports.
        if plan.confidentialObject?.qomType == "sev-snp-guest",
           let guestSocket = plan.simulator.guestSocket ?? environment["SEVHOST_SIM_GUEST_SOCKET"].flatMap({ $0.isEmpty ? nil : $0 }) {
            plan.addGuestSocket(guestSocket, privateDirectory: privateDirectory)
        }
        guard let program = QEMUChild.locate(explicit: plan.simulator.qemu ?? environment["SEVHOST_SIM_QEMU"], environment: environment) else {
            failEarly("no qemu-system-x86_64 on PATH (name one with --sim-qemu or SEVHOST_SIM_QEMU)")
        }
        guard plan.isFronting else {
            rmdir(privateDirectory)
            execute(program, plan.unfrontedArguments)
        }

        let stateDirectory = plan.simulator.stateDirectory ?? defaultStateDirectory(environment)
        let platform: SimulatedPlatform
        do {
            platform = try SimulatedPlatform(stateDirectory: stateDirectory)
        } catch {
            failEarly(error.description)
        }
        var replayed: [UInt8]?
        if let path = plan.simulator.replayMeasurement {
            guard let data = FileManager.default.contents(atPath: path),
                  let blob = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                failEarly("--replay-measurement \(path): expected a readable file of base64 text")
            }
            replayed = [UInt8](blob)
        }
        let secretOut = plan.simulator.secretOut ?? environment["SEVHOST_SIM_SECRET_OUT"].flatMap { $0.isEmpty ? nil : $0 }
        var reportedBuildID: UInt8?
        if let text = plan.simulator.reportedBuildID {
            guard let value = UInt8(text) else {
                failEarly("--query-sev-build-id \(text): expected 0 to 255")
            }
            reportedBuildID = value
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let processor: any SimulatedSecureProcessor
        do {
            processor = try SecureProcessorFactory.make(
                for: plan.confidentialObject, platform: platform,
                options: .init(
                    secretOut: secretOut, replayedMeasurement: replayed, reportedBuildID: reportedBuildID,
                    dumpVMSA: plan.simulator.dumpVMSA, acceleratorLocation: plan.acceleratorLocation),
                snpPlatform: { () throws(SimulatorError) in try SimulatedSNPPlatform(stateDirectory: stateDirectory) },
                log: log)
        } catch {
            failEarly(error.description)
        }
        if let acceleratorNote { log("running the guest under TCG: \(acceleratorNote)") }
        let qemu: QEMUChild
        do {
            qemu = try QEMUChild.spawn(program: program, arguments: plan.qemuArguments)
        } catch {
            failEarly(error.description)
        }
        let runtime = FrontRuntime(plan: plan, privateDirectory: privateDirectory, qemu: qemu, group: group, processor: processor)
        runtime.start(processor: processor)
        // The main thread started QEMU, so it must live as long as the process (the kernel
        // kills QEMU when it ends), and it must keep the handled signals blocked, so that only
        // the dispatch sources read them. `dispatchMain()` would unblock every signal here.
        let forever = DispatchSemaphore(value: 0)
        while true { forever.wait() }
    }

    private init(plan: FrontPlan, privateDirectory: String, qemu: QEMUChild, group: MultiThreadedEventLoopGroup, processor: any SimulatedSecureProcessor) {
        self.plan = plan
        self.privateDirectory = privateDirectory
        self.qemu = qemu
        self.group = group
        context = FrontContext(loop: group.next(), processor: processor) { [unowned self] failure in self.terminate(failure) }
    }

    private func start(processor: any SimulatedSecureProcessor) {
        if let pidFile = plan.pidFile {
            do {
                try AtomicFile.write(Array("\(getpid())\n".utf8), to: pidFile)
            } catch {
                terminate(QEMUFailure(["cannot create PID file: \(error)"]))
            }
        }
        for monitor in plan.monitors {
            do {
                listeners.append(try FrontListeners.bind(monitor, context: context).wait())
            } catch {
                let name: String
                switch monitor.client {
                case .path(let path): name = path
                case .descriptor(let fd): name = "fd \(fd)"
                }
                terminate(QEMUFailure(["Failed to bind socket to \(name): \(error)"]))
            }
        }
        let pid = qemu.pid
        signalSources = FrontSignals.install(
            forward: { signalNumber in kill(pid, signalNumber) },
            powerOff: { [self] in Task { await self.powerOff() } })
        let waiter = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            context.loop.execute { self.qemuExited(status: status) }
        }
        waiter.start()
        Task { await self.launch(processor: processor) }
    }

    // MARK: - Launch

    private func launch(processor: any SimulatedSecureProcessor) async {
        let client: QMPClient
        do {
            client = try await connectControl()
        } catch {
            return  // QEMU exited before opening its monitor; its own message said why.
        }
        control = client
        do {
            let facts = try await QEMUGuestFacts.collect(client: client, objectID: plan.confidentialObject?.id)
            machineType = facts.machineType
            let plan = self.plan
            let stateText = try await context.loop.submit { () throws -> String? in
                guard let object = plan.confidentialObject else { return nil }
                guard plan.requestedAccelerator == "kvm" else {
                    throw QEMUFailure(["accelerator does not support confidential guest \(object.qomType)"])
                }
                try processor.launch(facts)
                let summary = processor.launchSummary
                if !plan.startsPaused, let failure = processor.guestStarts() { throw failure }
                return summary
            }.get()
            if let stateText { Self.log("\(stateText); QMP on \(monitorNames)") }
        } catch let failure as QEMUFailure {
            context.loop.execute { self.terminate(failure) }
            return
        } catch {
            if !ending { context.loop.execute { self.terminate(QEMUFailure(["sevhost-sim: reading the machine from QEMU: \(error)"])) } }
            return
        }
        context.loop.execute { self.context.markReady() }
        for await event in client.events where event.name == "RESUME" {
            context.loop.execute { self.context.guestStarted() }
        }
    }

    private var monitorNames: String {
        plan.monitors.map { monitor in
            switch monitor.client {
            case .path(let path): path
            case .descriptor(let fd): "fd \(fd)"
            }
        }.joined(separator: ", ")
    }

    /// The front's own monitor, as soon as QEMU opens it (QEMU may first wait for a client on a
    /// `wait=on` monitor, so there is no deadline while QEMU lives).
    private func connectControl() async throws -> QMPClient {
        while true {
            if ending { throw CancellationError() }
            if FileManager.default.fileExists(atPath: plan.controlSocket),
               let client = try? await QMPClient.connect(path: plan.controlSocket, timeout: .seconds(30), eventLoopGroup: group) {
                return client
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    private func powerOff() async {
        guard let control else {
            Self.log("SIGUSR1: the guest is not running yet")
            return
        }
        do {
            if try await GuestPowerOff.run(client: control, machineType: machineType) {
                Self.log("the guest powered off")
            } else {
                Self.log("SIGUSR1: no ACPI power-off for machine type \(machineType)")
            }
        } catch {
            Self.log("SIGUSR1: \(error)")
        }
    }

    // MARK: - Ending

    /// The hardware refused: QEMU's lines, QEMU killed, the front exits with QEMU's status.
    private func terminate(_ failure: QEMUFailure) {
        guard !ending else { return }
        ending = true
        let text = failure.lines.map { "\(qemu.programName): \($0)\n" }.joined()
        FileHandle.standardError.write(Data(text.utf8))
        kill(qemu.pid, SIGKILL)
        cleanUp()
        exit(failure.status)
    }

    /// QEMU ended on its own (`quit`, a signal, the guest powering off): what it wrote reaches
    /// the clients, then the front exits as QEMU did.
    private func qemuExited(status: Int32) {
        guard !ending else { return }
        ending = true
        for listener in listeners { listener.close(promise: nil) }
        let deadline = context.loop.scheduleTask(in: .seconds(2)) { self.exitLike(status) }
        context.whenAllConnectionsClosed {
            deadline.cancel()
            self.exitLike(status)
        }
    }

    private func exitLike(_ status: Int32) -> Never {
        cleanUp()
        let signalNumber = status & 0x7f
        if signalNumber == 0 { exit((status >> 8) & 0xff) }
        signal(signalNumber, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        kill(getpid(), signalNumber)
        exit(128 + signalNumber)
    }

    private func cleanUp() {
        for monitor in plan.monitors {
            if case .path(let path) = monitor.client { unlink(path) }
        }
        if let pidFile = plan.pidFile { unlink(pidFile) }
        try? FileManager.default.removeItem(atPath: privateDirectory)
    }

    // MARK: - Helpers

    static func fail(_ message: String) -> Never {
        log(message)
        exit(1)
    }

    public static func defaultStateDirectory(_ environment: [String: String]) -> String {
        if let explicit = environment["SEVHOST_SIM_STATE"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/sevhost-sim" }
        return NSHomeDirectory() + "/.local/state/sevhost-sim"
    }

    /// Becomes `program`: nothing to front.
    static func execute(_ program: String, _ arguments: [String]) -> Never {
        var set = sigset_t()
        sigemptyset(&set)
        pthread_sigmask(SIG_SETMASK, &set, nil)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        execv(program, argv)
        fail("cannot run \(program): \(String(cString: strerror(errno)))")
    }
}
