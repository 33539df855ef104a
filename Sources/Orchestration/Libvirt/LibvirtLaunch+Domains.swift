import Libvirt

/// One domain of a libvirt host as sevhostd needs to see it: to match its records to
/// libvirt's own state after a restart.
public struct LibvirtDomainStatus: Sendable, Hashable {
    public var name: String
    /// Lower-case text: a domain of the same name defined anew has another.
    public var uuid: String
    /// libvirt's word for the state (`running`, `paused`, `shut off`…), as virsh prints it.
    public var state: String
    /// An emulator process exists for it.
    public var isActive: Bool
}

/// What sevhostd does to domains on a host it keeps a connection to (opened with events, so
/// each VM's channel follows its domain's lifecycle). Everything goes through `LibvirtConnection`;
/// nothing of libvirt's types reaches the daemon.
extension LibvirtLaunch {
    /// Opens `uri` with libvirt's event loop running and asks its host.
    public static func connect(uri: String, events: Bool) async throws(LibvirtError) -> LibvirtLaunch {
        let connection = try await LibvirtConnection.open(uri: uri, events: events)
        do {
            return try await LibvirtLaunch(connection: connection)
        } catch {
            await connection.close()
            throw error
        }
    }

    /// The host as it is now (its guest counts change with every launch).
    public func survey() async throws(LibvirtError) -> LibvirtHostReport {
        try await LibvirtHostReport.survey(connection)
    }

    /// Every domain the host knows.
    public func domains() async throws(LibvirtError) -> [LibvirtDomainStatus] {
        try await connection.domains().map {
            LibvirtDomainStatus(name: $0.name, uuid: $0.uuid, state: $0.state.name, isActive: $0.state.isActive)
        }
    }

    public func uuid(domain: String) async throws(LibvirtError) -> String {
        try await connection.uuid(domain: domain)
    }

    /// A channel to `domain` over this host's connection (which it does not close), following
    /// the domain's lifecycle events. The domain need not exist yet: made before a start, it
    /// hears the start's events too.
    public func channel(domain: String) async throws(GuestChannelError) -> LibvirtGuestChannel {
        try await LibvirtGuestChannel.following(connection: connection, domain: domain, ownsConnection: false)
    }

    /// Ends the domain's emulator at once (`virDomainDestroy`).
    public func destroy(domain: String) async throws(LibvirtError) {
        try await connection.destroy(domain: domain)
    }

    /// Removes the domain's definition (and its NVRAM); a domain that is not there is no error.
    public func undefineIfDefined(domain: String) async throws(LibvirtError) {
        do {
            try await connection.undefine(domain: domain)
        } catch where error.isNoSuchDomain {
            return
        }
    }
}
