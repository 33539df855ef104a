import GRDB
import Orchestration

/// One VM as the store keeps it: its spec (as the daemon resolved it), where its life is, and
/// what its current launch left behind. Never a secret: the session files are the guest
/// owner's wrapped keys (useless without the platform's PDH private key), and injected secrets
/// are not stored at all.
struct VMRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "vm"

    var name: String
    /// The spec as JSON text, every path absolute.
    var spec: String
    /// Where the spec came from, for messages.
    var file: String
    var type: String
    var policy: String
    var preAttestation: Bool
    var state: VMState
    var reason: String?
    var pid: Int32?
    var qmp: String
    /// The program started as QEMU, to recognise its process after a restart.
    var binary: String?
    /// The AttestationBundle JSON of the current launch.
    var bundle: String?
    /// A stop was asked for, so QEMU's exit is a stop, not a crash.
    var stopRequested: Bool
    /// The guest owner's `N_godh.b64` and `N_session.b64` text.
    var dhCert: String?
    var session: String?
    /// SEV-SNP: what the VM's reports must show (`VMExpectation` JSON), as computed when its
    /// launch was last signed (or defined).
    var expected: String?
    var created: String
    var updated: String
    /// What the daemon was doing to the VM's QEMU when it last wrote: set before it acts
    /// (spawning QEMU, continuing it, injecting a secret) and cleared with the outcome, so a
    /// daemon killed half way knows, when it starts again, what may have happened (`recover`).
    var intent: Intent? = nil
    /// The libvirt URI (as given to `--connect`) of the host whose domain runs the VM; nil for
    /// a VM run as sevhostd's own QEMU child. The domain is named as the VM.
    var host: String? = nil
    /// The UUID libvirt gave the domain at its last start: after a restart, a domain of the
    /// same name with another UUID is not this VM's.
    var domainUUID: String? = nil

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case name, spec, file, type, policy, state, reason, pid, qmp, binary, bundle, created, updated, intent, host
        case preAttestation = "pre_attestation", stopRequested = "stop_requested"
        case dhCert = "dh_cert", session, expected, domainUUID = "domain_uuid"
    }

    var info: VMInfo {
        VMInfo(
            name: name, state: state, reason: reason, type: type, policy: policy, preAttestation: preAttestation,
            pid: state.hasProcess ? pid : nil, qmp: qmp, measured: bundle != nil, created: created, updated: updated, host: host)
    }
}

extension VMState: DatabaseValueConvertible {}

/// A change to a VM's QEMU the daemon has begun and not yet seen the outcome of: the journal
/// entry written before the change is made. Each names what a restarted daemon must find out
/// from QEMU, since the change may or may not have happened.
enum Intent: String, Codable, Sendable, DatabaseValueConvertible {
    /// QEMU is being spawned: a process may exist that no pid was recorded for.
    case spawning
    /// `cont` is being sent to a launch without pre-attestation.
    case continuing
    /// The guest owner's secret is being handed to QEMU: it may or may not have reached the
    /// firmware, and QEMU cannot say which.
    case injecting
    /// The secret was injected (QEMU acknowledged it) and `cont` is being sent.
    case continuingAfterInjection = "continuing-after-injection"
}
