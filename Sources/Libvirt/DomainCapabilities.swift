import Foundation

/// What `virConnectGetDomainCapabilities` says about confidential guests on a host: the
/// `<sev>` and `<sev-snp>` features and the `launchSecurity` types.
///
/// libvirt writes this XML itself, in a fixed shape, so a small reader of the few elements
/// needed serves better than an XML stack: an element libvirt does not write is simply absent.
public struct DomainCapabilities: Sendable, Hashable {
    /// The emulator libvirt would run (`<path>`).
    public var emulator: String?
    public var sev: Bool
    public var sevSNP: Bool
    /// `<launchSecurity>`'s `sectype` values (`sev`, `sev-snp`, `tdx`, `s390-pv`).
    public var launchSecurityTypes: [String]
    public var cBitPosition: Int?
    public var reducedPhysicalBits: Int?
    public var maxGuests: Int?
    public var maxESGuests: Int?

    public init(xml: String) {
        emulator = Self.text(of: "path", in: xml)
        let sevElement = Self.element("sev", in: xml)
        sev = sevElement.map { $0.open.contains("supported='yes'") } ?? false
        sevSNP = Self.element("sev-snp", in: xml).map { $0.open.contains("supported='yes'") } ?? false
        let body = sevElement?.body ?? ""
        cBitPosition = Self.text(of: "cbitpos", in: body).flatMap { Int($0) }
        reducedPhysicalBits = Self.text(of: "reducedPhysBits", in: body).flatMap { Int($0) }
        maxGuests = Self.text(of: "maxGuests", in: body).flatMap { Int($0) }
        maxESGuests = Self.text(of: "maxESGuests", in: body).flatMap { Int($0) }
        var types: [String] = []
        if let security = Self.element("launchSecurity", in: xml), security.open.contains("supported='yes'") {
            var rest = Substring(security.body)
            while let start = rest.range(of: "<value>"), let end = rest[start.upperBound...].range(of: "</value>") {
                types.append(String(rest[start.upperBound..<end.lowerBound]))
                rest = rest[end.upperBound...]
            }
        }
        launchSecurityTypes = types
    }

    /// The first `<name …>` element: its opening tag and its body (empty when self-closing).
    static func element(_ name: String, in xml: String) -> (open: String, body: String)? {
        var search = Substring(xml)
        while let start = search.range(of: "<\(name)") {
            let after = search[start.upperBound...]
            guard let next = after.first, next == " " || next == ">" || next == "/" else {
                search = after
                continue
            }
            guard let close = after.firstIndex(of: ">") else { return nil }
            let open = String(search[start.lowerBound...close])
            if open.hasSuffix("/>") { return (open, "") }
            let bodyStart = after.index(after: close)
            guard let end = search[bodyStart...].range(of: "</\(name)>") else { return (open, "") }
            return (open, String(search[bodyStart..<end.lowerBound]))
        }
        return nil
    }

    /// The text of the first `<name>…</name>` (without attributes).
    static func text(of name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml[start.upperBound...].range(of: "</\(name)>") else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }
}
