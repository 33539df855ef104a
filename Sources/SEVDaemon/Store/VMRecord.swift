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

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case name, spec, file, type, policy, state, reason, pid, qmp, binary, bundle, created, updated
        case preAttestation = "pre_attestation", stopRequested = "stop_requested"
        case dhCert = "dh_cert", session, expected
    }

    var info: VMInfo {
        VMInfo(
            name: name, state: state, reason: reason, type: type, policy: policy, preAttestation: preAttestation,
            pid: state.hasProcess ? pid : nil, qmp: qmp, measured: bundle != nil, created: created, updated: updated)
    }
}

extension VMState: DatabaseValueConvertible {}
