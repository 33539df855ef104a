import Foundation
import Launch
import Libvirt
import SEVKit

/// A launch on a libvirt host, local or remote: the spec resolved against that host's facts
/// (C-bit and reduced-phys-bits from `virNodeGetSEVInfo`, support from its domain
/// capabilities, never from the machine sevhost runs on), rendered as the same domain XML
/// `--print libvirt` writes, then defined and started, paused when the spec asks for
/// pre-attestation.
public struct LibvirtLaunch: Sendable {
    public let connection: LibvirtConnection
    public let host: LibvirtHostReport

    /// Asks the host behind `connection` what it offers.
    public init(connection: LibvirtConnection) async throws(LibvirtError) {
        self.connection = connection
        host = try await LibvirtHostReport.survey(connection)
    }

    /// Opens `uri` and asks its host.
    public static func connect(uri: String) async throws(LibvirtError) -> LibvirtLaunch {
        let connection = try await LibvirtConnection.open(uri: uri)
        do {
            return try await LibvirtLaunch(connection: connection)
        } catch {
            await connection.close()
            throw error
        }
    }

    public func close() async {
        await connection.close()
    }

    /// The facts a spec is resolved against on this host: its C-bit values when it offers SEV.
    public var hostFacts: HostFacts {
        guard host.sev, let cbitpos = host.cbitpos, let reduced = host.reducedPhysBits else {
            return HostFacts(sev: nil, unknownHint: "\(host.uri) offers no SEV (libvirt's domain capabilities)")
        }
        return HostFacts(sev: HostSEVParameters(cbitPosition: cbitpos, reducedPhysBits: reduced))
    }

    /// Refuses a spec whose kind of guest the host cannot run, naming what the host lacks.
    /// SEV-ES is refused only with SEV: libvirt has no SEV-ES flag, only the ES ASID count it
    /// reads from the host's CPUID 0x8000001F, which a hypervisor may hide (these test
    /// machines do: libvirt reports 0); `warning` says so, and KVM has the last word.
    public func checkSupport(_ launch: ResolvedLaunch, warning: (String) -> Void) throws(LaunchFailure) {
        let offered = launch.plan.type == .sevSNP ? host.sevSNP : host.sev
        guard offered else {
            throw LaunchFailure(
                "\(launch.document.file): confidential.type: \(host.uri) cannot run \(launch.plan.type.rawValue) guests: libvirt's domain capabilities say it is not supported")
        }
        if launch.plan.type == .sevES, !host.sevES {
            warning("\(host.uri) reports \(host.maxESGuests ?? 0) ASIDs for SEV-ES guests (libvirt reads them from CPUID 0x8000001F); launching anyway")
        }
    }

    /// Defines the domain and starts it (or creates a transient one when `transient`), paused
    /// when the spec asks for pre-attestation. Returns the domain's name.
    public func start(_ launch: ResolvedLaunch, xml: String, transient: Bool) async throws(LibvirtError) -> String {
        if transient {
            return try await connection.create(xml: xml, paused: launch.startsPaused)
        }
        let name = try await connection.define(xml: xml)
        do {
            try await connection.start(domain: name, paused: launch.startsPaused)
        } catch {
            // A domain that never ran is not left defined behind a failed launch.
            try? await connection.undefine(domain: name)
            throw error
        }
        return name
    }
}
