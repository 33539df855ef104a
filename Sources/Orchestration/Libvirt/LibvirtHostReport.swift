import Libvirt

/// What one libvirt host offers confidential guests, as its libvirt reports it: for
/// `sevhost hosts`, an operator's view of a fleet, and for placing a launch (`HostFacts` from
/// the host that runs the guest, not from the machine sevhost runs on).
public struct LibvirtHostReport: Sendable, Hashable, Codable {
    public struct Guests: Sendable, Hashable, Codable {
        public var running: Int
        public var paused: Int
        /// Every domain the host knows, active or only defined.
        public var total: Int
    }

    /// The firmware's API version and build, as a running SEV guest of the host reports them
    /// (libvirt has no host-level call for it).
    public struct Firmware: Sendable, Hashable, Codable {
        public var apiMajor: UInt32
        public var apiMinor: UInt32
        public var buildID: UInt32
        /// The domain whose launch security answered.
        public var domain: String
    }

    public var uri: String
    public var hostname: String
    public var libvirtVersion: String
    /// The emulator libvirt runs by default for x86_64 KVM guests.
    public var emulator: String?
    public var sev: Bool
    /// libvirt counts SEV-ES support as ASIDs for ES guests (`maxESGuests` > 0).
    public var sevES: Bool
    public var sevSNP: Bool
    public var cbitpos: Int?
    public var reducedPhysBits: Int?
    public var maxGuests: Int?
    public var maxESGuests: Int?
    public var firmware: Firmware?
    public var guests: Guests

    /// Asks the host behind `connection`.
    public static func survey(_ connection: LibvirtConnection) async throws(LibvirtError) -> LibvirtHostReport {
        let capabilities = DomainCapabilities(xml: try await connection.domainCapabilities())
        let domains = try await connection.domains()
        var cbitpos = capabilities.cBitPosition
        var reduced = capabilities.reducedPhysicalBits
        if capabilities.sev, let info = try? await connection.sevInfo() {
            cbitpos = info.cBitPosition
            reduced = info.reducedPhysicalBits
        }
        var firmware: Firmware?
        if capabilities.sev {
            for domain in domains where domain.state.isActive {
                guard let info = try? await connection.launchSecurityInfo(domain: domain.name),
                      let major = info.apiMajor, let minor = info.apiMinor, let build = info.buildID
                else { continue }
                firmware = Firmware(apiMajor: major, apiMinor: minor, buildID: build, domain: domain.name)
                break
            }
        }
        return LibvirtHostReport(
            uri: connection.uri, hostname: try await connection.hostname(), libvirtVersion: try await connection.libraryVersion(),
            emulator: capabilities.emulator, sev: capabilities.sev, sevES: (capabilities.maxESGuests ?? 0) > 0,
            sevSNP: capabilities.sevSNP || capabilities.launchSecurityTypes.contains("sev-snp"),
            cbitpos: cbitpos, reducedPhysBits: reduced, maxGuests: capabilities.maxGuests, maxESGuests: capabilities.maxESGuests,
            firmware: firmware,
            guests: Guests(
                running: domains.filter { $0.state == .running }.count, paused: domains.filter { $0.state == .paused }.count,
                total: domains.count))
    }

    /// Opens `uri`, surveys it, closes it.
    public static func survey(uri: String) async throws(LibvirtError) -> LibvirtHostReport {
        let connection = try await LibvirtConnection.open(uri: uri)
        do {
            let report = try await survey(connection)
            await connection.close()
            return report
        } catch {
            await connection.close()
            throw error
        }
    }
}
