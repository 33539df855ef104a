import Foundation
import SEVKit

/// What every attestation report of an SEV-SNP VM must show (`GET /v1/vms/{name}/expect`): the
/// expectation sevhostd computed from the VM's spec when it signed the VM's launch, in hex, so
/// a guest owner can fetch it once and pin it (`sevhost report verify --expect FILE` reads this
/// JSON as it reads a spec).
public struct VMExpectation: Codable, Sendable, Equatable {
    public static let formatName = "sevhost-snp-expectation/1"

    public var format: String
    public var name: String
    public var measurement: String
    public var policy: String
    public var hostData: String
    public var idKeyDigest: String
    public var authorKeyDigest: String
    public var authorKeyEnabled: Bool
    public var familyID: String
    public var imageID: String
    public var guestSVN: UInt32
    public var vmpl: UInt32

    public init(name: String, _ e: SNPGuestExpectation) {
        format = Self.formatName
        self.name = name
        measurement = Hex.encode(e.measurement)
        policy = e.policy.hex
        hostData = Hex.encode(e.hostData)
        idKeyDigest = Hex.encode(e.idKeyDigest)
        authorKeyDigest = Hex.encode(e.authorKeyDigest)
        authorKeyEnabled = e.authorKeyEnabled
        familyID = Hex.encode(e.familyID)
        imageID = Hex.encode(e.imageID)
        guestSVN = e.guestSVN
        vmpl = e.vmpl
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, name, measurement, policy, vmpl
        case hostData = "host-data"
        case idKeyDigest = "id-key-digest"
        case authorKeyDigest = "author-key-digest"
        case authorKeyEnabled = "author-key-enabled"
        case familyID = "family-id"
        case imageID = "image-id"
        case guestSVN = "guest-svn"
    }

    /// The expectation again, or the first field that is not what the format says.
    public func expectation() throws(ReportInputError) -> SNPGuestExpectation {
        guard format == Self.formatName else {
            throw ReportInputError("format '\(format)', expected '\(Self.formatName)'")
        }
        func bytes(_ text: String, _ field: String, _ count: Int) throws(ReportInputError) -> [UInt8] {
            guard let value = Hex.decode(text), value.count == count else {
                throw ReportInputError("\(field): expected \(count) bytes as \(count * 2) hex digits")
            }
            return value
        }
        guard self.policy.hasPrefix("0x"), let policy = UInt64(self.policy.dropFirst(2), radix: 16) else {
            throw ReportInputError("policy: expected 0x-prefixed hex, got '\(policy.prefix(24))'")
        }
        var e = SNPGuestExpectation(
            measurement: try bytes(measurement, "measurement", 48), policy: SNPGuestPolicy(rawValue: policy),
            hostData: try bytes(hostData, "host-data", 32), identity: nil, vmpl: vmpl)
        e.idKeyDigest = try bytes(idKeyDigest, "id-key-digest", 48)
        e.authorKeyDigest = try bytes(authorKeyDigest, "author-key-digest", 48)
        e.authorKeyEnabled = authorKeyEnabled
        e.familyID = try bytes(familyID, "family-id", 16)
        e.imageID = try bytes(imageID, "image-id", 16)
        e.guestSVN = guestSVN
        return e
    }

    /// The JSON text, keys sorted, ending in a newline.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Strings, integers and booleans: it always encodes.
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }
}
