import Foundation
import Launch
import SEVKit

/// The one way a spec becomes a launch: spec + host facts + firmware facts → checked plan →
/// QEMU argv or libvirt XML; and spec → the measured inputs a guest owner predicts.
///
/// `sevhost launch`, sevhostd and `sevhost attest --expect` all come here, so a spec is checked
/// by the same rules, refused with the same words and rendered the same way whichever of them
/// reads it. The pieces (`SpecLoader`, `LaunchPlan`, `FirmwareFacts`, the renderers) stay in
/// `Launch`; composing them is this type's job and nobody else's.
public struct LaunchResolver: Sendable {
    public var host: HostFacts

    public init(host: HostFacts) {
        self.host = host
    }

    /// What happens when a file the spec names (the firmware image, the session files)
    /// cannot be read.
    public enum FirmwareInspection: Sendable {
        /// It is an error: the launch is about to happen on this host.
        case required
        /// Its checks are skipped, and `warning` says so: the output is printed, perhaps for
        /// another host (libvirt's, which would carry the session files' contents, says they
        /// were left out). A file that is there but malformed is an error all the same.
        case whenReadable(warning: @Sendable (String) -> Void)
    }

    /// Checks the spec against the host and its firmware and reads the session files it names.
    /// For SEV-SNP it also computes the launch digest of the spec's inputs when the spec needs it
    /// (an `id-key` to sign for, an inline ID block or a `launch-digest` to check), or when
    /// `showLaunchDigest` asks for it (`--print json`), and signs the ID block.
    public func resolve(
        _ document: SpecDocument, firmware inspection: FirmwareInspection = .required, showLaunchDigest: Bool = false
    ) throws(LaunchFailure) -> ResolvedLaunch {
        let facts: FirmwareFacts?
        do {
            facts = try FirmwareFacts(firmwareAt: document.spec.firmware.path)
        } catch {
            guard case .unreadableFile = error, case .whenReadable(let warning) = inspection else { throw document.failure(error) }
            warning("firmware checks skipped: \(error.description)")
            facts = nil
        }
        do {
            // One rule for every file the spec only names: printing tolerates its absence.
            let printing: Bool
            if case .whenReadable = inspection { printing = true } else { printing = false }
            let plan = try LaunchPlan.resolve(
                document.spec, host: host.sev, firmware: facts, kvmPolicyBits: host.snpPolicyBits, namedFilesMayBeMissing: printing)
            if case .whenReadable(let warning) = inspection {
                for unread in plan.unreadFiles { warning("checks skipped: \(unread.description)") }
            }
            let prepared = try prepareSNP(plan, inspection: inspection, showLaunchDigest: showLaunchDigest && facts != nil)
            return ResolvedLaunch(document: document, plan: prepared, host: host)
        } catch {
            throw document.failure(error)
        }
    }

    /// The SNP half of a launch (`SNPLaunchPreparation`). Printing for another host may name
    /// files this one lacks: an inline block or a pin then goes unchecked, with a warning, as
    /// the firmware checks do; signing cannot go without them.
    private func prepareSNP(_ plan: LaunchPlan, inspection: FirmwareInspection, showLaunchDigest: Bool) throws(LaunchError) -> LaunchPlan {
        var prepared = plan
        do {
            prepared = try SNPLaunchPreparation.prepare(plan)
        } catch {
            guard case .whenReadable(let warning) = inspection, plan.signingRequest == nil, case .unreadableFile = error else { throw error }
            warning("launch digest not checked: \(error.description)")
            return plan
        }
        guard showLaunchDigest, prepared.type == .sevSNP, prepared.launchDigest == nil else { return prepared }
        // Shown whenever it can be computed; a spec that needs none still prints without it.
        do {
            return try SNPLaunchPreparation.prepare(prepared, always: true)
        } catch {
            guard case .whenReadable(let warning) = inspection else { throw error }
            warning("launch-digest not computed: \(error.description)")
            return prepared
        }
    }

    /// The plan a guest owner predicts a measurement from: every check a launch makes, against
    /// `firmware` (the owner's copy of the image), but without reading the session files,
    /// which do not enter the measurement and are the platform side's to hold.
    public func measuredPlan(_ document: SpecDocument, firmware: OVMFImage) throws(LaunchFailure) -> LaunchPlan {
        do {
            return try LaunchPlan.check(document.spec, host: host.sev, firmware: FirmwareFacts(ovmf: firmware))
        } catch {
            throw document.failure(error)
        }
    }
}

/// A spec that passed every check, ready to be rendered for QEMU or libvirt.
public struct ResolvedLaunch: Sendable {
    public let document: SpecDocument
    public let plan: LaunchPlan
    let host: HostFacts

    /// QEMU's argument vector (without argv[0]); needs the host's C-bit values.
    public func qemuArguments() throws(LaunchFailure) -> [String] {
        do {
            return try QEMUCommandBuilder(qemu: host.qemu).arguments(for: plan)
        } catch {
            throw document.failure(error, hint: error == .hostParametersUnknown ? host.unknownHint : nil)
        }
    }

    /// The libvirt domain XML, from `libvirt/domain.xml` in `templatesDirectory`.
    /// Refused for a VM type libvirt cannot ask QEMU for (`init2`).
    public func libvirtDomain(templatesDirectory: URL) throws(LaunchFailure) -> String {
        do {
            try LibvirtDomainRenderer.checkVMType(plan)
        } catch {
            throw document.failure(error)
        }
        do {
            return try LibvirtDomainRenderer(templatesDirectory: templatesDirectory).render(plan)
        } catch {
            throw LaunchFailure(error.description)
        }
    }

    /// The spec with every default made explicit, as pretty JSON (`--print json`).
    public var resolvedJSON: String { plan.json() }

    /// The libvirt template file a templates directory must hold.
    public static let libvirtTemplateFile = LibvirtDomainRenderer.templateFileName

    /// `sev`, `sev-es` or `sev-snp`.
    public var typeName: String { plan.type.rawValue }
    /// The launch policy as QEMU takes it (`0x30000`).
    public var policyHex: String { plan.policy.hex }
    /// The guest owner's GODH certificate and session, base64, when the spec names them.
    public var dhCert: String? { plan.dhCert }
    public var session: String? { plan.session }
    /// How KVM will create the guest (SEV, SEV-ES), which the argv states; nil for SNP.
    public var vmType: SEVVMType? { plan.vmType }
    /// The QMP socket QEMU will listen on, if any.
    public var qmpSocket: String? { plan.spec.qmp }
    /// Starts paused (`-S`) for a guest owner to measure and inject.
    public var startsPaused: Bool { plan.preAttestation }
    /// SEV and SEV-ES guests with pre-attestation wait at the gate for a secret; an SNP guest is
    /// attested from inside, so it runs at once even when started paused.
    public var waitsForSecret: Bool { plan.preAttestation && plan.type != .sevSNP }
}
