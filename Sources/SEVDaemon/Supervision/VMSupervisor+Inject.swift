import Foundation
import Orchestration
import SEVKit

extension VMSupervisor {
    /// Hands the guest owner's LAUNCH_SECRET packet to QEMU and continues the guest. The
    /// packet passes through: it is not stored, logged or kept after this call. A firmware
    /// refusal leaves the guest paused at the gate, so the owner can answer again.
    ///
    /// Journaled: before the secret is sent the VM's intent becomes `injecting`, once QEMU has
    /// taken it `continuing-after-injection`, and the outcome (`running`) clears it; a daemon
    /// killed anywhere in between finds out from QEMU what happened (`recover`).
    func inject(_ name: String, _ request: InjectRequest) async throws(DaemonError) -> VMInfo {
        let record = try record(name)
        guard record.state == .awaitingSecret, let bundleText = record.bundle else {
            throw .wrongState("\(name) is \(record.state.rawValue): a secret can only be injected into a VM awaiting-secret")
        }
        let header: [UInt8], payload: [UInt8], measurement: [UInt8]?
        do {
            (header, payload, measurement) = try request.packet()
        } catch {
            throw .invalidRequest(error.description)
        }
        let bundle: AttestationBundle
        do {
            bundle = try AttestationBundle(json: Array(bundleText.utf8), name: "\(name)'s measurement")
        } catch {
            throw .internalError(error.description)
        }
        if let measurement {
            guard measurement == bundle.measurementBytes else {
                throw .refused("\(name): the answer was made for another launch (its measurement is not \(name)'s current one); nothing was injected")
            }
        }
        guard let channel = live[name]?.channel else { throw .qemu("\(name): no QMP connection to its QEMU") }
        guard !busy.contains(name) else { throw .wrongState("\(name): another operation is in progress") }
        busy.insert(name)
        defer { busy.remove(name) }
        let pid = live[name]?.pid
        do {
            try await AttestationAnswer(header: header, payload: payload)
                .inject(into: channel, bundle: bundle, guestPhysicalAddress: request.gpa) { step in
                    await self.journalInjection(name, step)
                }
        } catch {
            _ = try? update(name, event: ("action", "secret refused: \(error)")) { $0.intent = nil }
            switch error {
            case .bundle(let text): throw .refused("\(name): \(text)")
            case .bundleMismatch: throw .refused("\(name): \(error)")
            case .wrongState, .notSEV: throw .wrongState("\(name): \(error)")
            case .injectionRefused: throw .qemu("\(name): \(error); the guest stays paused")
            default: throw .qemu("\(name): \(error)")
            }
        }
        guard live[name]?.pid == pid else { throw .qemu("\(name): QEMU exited during the injection") }
        metrics.injections.increment()
        logger.info("secret injected; guest continued", metadata: ["vm": "\(name)", "bytes": "\(payload.count)"])
        let info = try update(name, event: ("state", "secret injected (\(payload.count) bytes); guest continued")) {
            $0.state = .running
            $0.intent = nil
        }.info
        checkpoint(.injectionSettled)
        return info
    }

    /// Writes each step of an injection down before the next is taken.
    private func journalInjection(_ name: String, _ step: InjectionStep) {
        switch step {
        case .injecting:
            _ = try? update(name, event: ("action", "injecting the guest owner's secret")) { $0.intent = .injecting }
            checkpoint(.injectionRecorded)
        case .injected:
            checkpoint(.secretInjected)
            _ = try? update(name, event: ("action", "secret accepted by QEMU; continuing the guest")) {
                $0.intent = .continuingAfterInjection
            }
            checkpoint(.secretInjectedRecorded)
        case .continued:
            checkpoint(.injectedGuestContinued)
        }
    }
}
