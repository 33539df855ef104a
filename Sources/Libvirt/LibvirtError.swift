import CLibvirt

/// A failed libvirt call: libvirt's own error (`virError`), its code and domain kept so that
/// callers and tests can tell "no such domain" from "connection refused" without reading prose.
public struct LibvirtError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `virErrorNumber` (`VIR_ERR_NO_DOMAIN` is 42, `VIR_ERR_OPERATION_INVALID` 55, …).
    public var code: Int32
    /// `virErrorDomain`: the part of libvirt that failed (`VIR_FROM_QEMU` is 10, `VIR_FROM_RPC` 7, …).
    public var domain: Int32
    /// libvirt's message, on one line.
    public var message: String

    public init(code: Int32, domain: Int32, message: String) {
        self.code = code
        self.domain = domain
        self.message = message
    }

    public var description: String { message }

    /// `VIR_ERR_NO_DOMAIN`: no domain of that name or UUID on the connection.
    public var isNoSuchDomain: Bool { code == Int32(VIR_ERR_NO_DOMAIN.rawValue) }

    /// `VIR_ERR_OPERATION_INVALID`: the domain is not in a state the call needs (not running…).
    public var isInvalidOperation: Bool { code == Int32(VIR_ERR_OPERATION_INVALID.rawValue) }

    /// The error libvirt recorded for this thread's last failed call, or `fallback` when there is
    /// none. Call it on the thread that made the call (`LibvirtConnection` does).
    static func last(_ fallback: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(code: -1, domain: 0, message: fallback)
        }
        let text = error.pointee.message.map { String(cString: $0) } ?? fallback
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return LibvirtError(code: error.pointee.code, domain: error.pointee.domain, message: oneLine)
    }
}

extension LibvirtError {
    /// The call did not reach a verdict: the connection to the daemon failed or closed
    /// (`VIR_FROM_RPC`, `VIR_ERR_SYSTEM_ERROR`, `VIR_ERR_NO_CONNECT`, `VIR_ERR_INVALID_CONN`),
    /// so the domain's state is unknown. Everything else is an answer: libvirt or the
    /// emulator refused.
    public var isTransportFailure: Bool {
        domain == Int32(VIR_FROM_RPC.rawValue) || domain == Int32(VIR_FROM_REMOTE.rawValue)
            || code == Int32(VIR_ERR_SYSTEM_ERROR.rawValue) || code == Int32(VIR_ERR_NO_CONNECT.rawValue)
            || code == Int32(VIR_ERR_INVALID_CONN.rawValue) || code == -1
    }
}
