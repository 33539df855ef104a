/// The `code` of a sevhostd error body, with the HTTP status each one goes with.
///
/// Clients branch on the code, never on the message: the message is for a person and may
/// change wording, the code is part of the API (docs/openapi.yaml lists exactly these).
public enum DaemonErrorCode: String, CaseIterable, Sendable {
    /// Bad JSON, bad base64, a bad query value.
    case invalidRequest = "invalid-request"
    /// The peer's uid/gid (SO_PEERCRED) is not allowed to use the daemon.
    case forbidden
    /// No VM of that name, or a path the API does not have.
    case notFound = "not-found"
    /// A path the API has, with a method it does not serve there (the `Allow` header lists those it does).
    case methodNotAllowed = "method-not-allowed"
    /// A VM of that name already exists.
    case exists
    /// The VM is not in a state that allows the request.
    case wrongState = "wrong-state"
    /// An inject whose `measurement` is not the guest's current one.
    case refused
    /// The spec fails to load or to resolve (`FILE:LINE: field: problem`).
    case invalidSpec = "invalid-spec"
    /// QEMU, the firmware or QMP refused or failed (e.g. the firmware rejected a secret's MAC).
    case qemu
    /// Anything else that went wrong inside the daemon.
    case `internal`

    /// The HTTP status the daemon answers with for this code.
    public var httpStatus: Int {
        switch self {
        case .invalidRequest: 400
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .exists, .wrongState, .refused: 409
        case .invalidSpec: 422
        case .qemu: 502
        case .internal: 500
        }
    }
}
