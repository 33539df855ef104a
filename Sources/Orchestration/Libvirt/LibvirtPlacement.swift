import Launch

/// Where a new VM goes among the libvirt hosts sevhostd was given: the host the request
/// names, or else the first (in `--connect` order) whose capabilities fit the spec. Refusals
/// say, host by host, what each lacks.
public enum LibvirtPlacement {
    /// Why `host` cannot take a guest of `type`, or nil when it can.
    ///
    /// ASIDs: libvirt reports how many SEV guests (`maxGuests`) and SEV-ES/SNP guests
    /// (`maxESGuests`) the platform holds, but not which of a host's domains are confidential,
    /// so every active domain is counted as holding one: conservative, never an overcommit. An
    /// ES count of 0 means libvirt could not read it (a hypervisor may hide CPUID 0x8000001F,
    /// see `LibvirtLaunch.checkSupport`), not that there are none, so it refuses nothing.
    public static func unfit(_ host: LibvirtHostReport, type: String) -> String? {
        let active = host.guests.running + host.guests.paused
        switch type {
        case ConfidentialType.sevSNP.rawValue:
            guard host.sevSNP else { return "\(host.uri): no SEV-SNP (libvirt's domain capabilities)" }
        default:
            guard host.sev else { return "\(host.uri): no SEV (libvirt's domain capabilities)" }
        }
        let limit = type == ConfidentialType.sev.rawValue ? host.maxGuests : host.maxESGuests
        if let limit, limit > 0, active >= limit {
            let kind = type == ConfidentialType.sev.rawValue ? "SEV" : "SEV-ES/SNP"
            return "\(host.uri): no free \(kind) ASID (\(limit) in all, \(active) active domains)"
        }
        return nil
    }

    /// The index in `hosts` of the host for a guest of `type`: the one `requested` names (its
    /// URI as given to `--connect`, or the host name its libvirt reports), else the first that
    /// fits. Each host comes with its survey as of now, or why it could not be asked. Throws
    /// the reasons when none fits.
    public static func choose(
        _ hosts: [(uri: String, survey: Result<LibvirtHostReport, LaunchFailure>)], type: String, requested: String?
    ) throws(LaunchFailure) -> Int {
        func reason(_ index: Int) -> String? {
            switch hosts[index].survey {
            case .success(let report): unfit(report, type: type)
            case .failure(let failure): failure.description
            }
        }
        if let requested {
            let byName = hosts.firstIndex { (try? $0.survey.get().hostname) == requested }
            guard let index = hosts.firstIndex(where: { $0.uri == requested }) ?? byName else {
                throw LaunchFailure("host: '\(requested)' is none of sevhostd's libvirt hosts (\(hosts.map(\.uri).joined(separator: ", ")))")
            }
            if let reason = reason(index) { throw LaunchFailure("host: cannot run a \(type) guest: \(reason)") }
            return index
        }
        var reasons: [String] = []
        for index in hosts.indices {
            guard let reason = reason(index) else { return index }
            reasons.append(reason)
        }
        throw LaunchFailure("no libvirt host can run a \(type) guest: " + reasons.joined(separator: "; "))
    }
}
