import Foundation
import QMP
import SEVKit

/// What the platform side hands a guest owner who verifies on another machine (`sevhost
/// attest export`): the measurement, everything the HMAC covers that the host reports, and
/// the platform's certificates, so the owner can check the measurement with its TIK and answer
/// with a secret (`sevhost secret build`) without trusting the host.
public struct AttestationBundle: Codable, Sendable, Equatable {
    public static let formatName = "sevhost-attestation-bundle/1"

    public var format: String
    /// measurement ‖ MNONCE (48 bytes), base64: `sevhost secret build --measurement` takes it as is.
    public var measurement: String
    public var apiMajor: UInt8
    public var apiMinor: UInt8
    public var buildID: UInt8
    /// The policy the guest was launched with, 0x-prefixed hex.
    public var policy: String
    public var state: String
    /// The platform's PDH, base64.
    public var pdh: String
    /// PEK, OCA and CEK as `query-sev-capabilities` returns them, base64.
    public var certChain: String
    public var cpu0ID: String?

    enum CodingKeys: String, CodingKey {
        case format, measurement, policy, state, pdh
        case apiMajor = "api-major", apiMinor = "api-minor", buildID = "build-id"
        case certChain = "cert-chain", cpu0ID = "cpu0-id"
    }

    /// Reads the bundle's facts from a guest waiting in `launch-secret`.
    public static func collect(from channel: some GuestChannel) async throws(AttestationError) -> AttestationBundle {
        let info = try await PreAttestation.sevInfo(channel)
        let measurement: [UInt8]
        let capabilities: SEVCapabilities
        do {
            measurement = try await channel.launchMeasurement()
        } catch {
            throw .channel(error)
        }
        guard measurement.count == LaunchMeasurement.size else {
            throw .malformedMeasurement("expected 48 bytes (measurement ‖ MNONCE), got \(measurement.count)")
        }
        do {
            capabilities = try await channel.platformCertificates()
        } catch {
            throw .channel(error)
        }
        return AttestationBundle(
            format: formatName,
            measurement: Data(measurement).base64EncodedString(),
            apiMajor: info.apiMajor, apiMinor: info.apiMinor, buildID: info.buildID,
            policy: "0x" + String(info.policy, radix: 16), state: info.state.rawValue,
            pdh: Data(capabilities.pdh).base64EncodedString(),
            certChain: Data(capabilities.certificateChain).base64EncodedString(),
            cpu0ID: capabilities.cpu0ID.map { Data($0).base64EncodedString() })
    }

    /// Pretty, key-sorted JSON with a final newline.
    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Plain strings and integers always encode.
        return Array(try! encoder.encode(self)) + [0x0a]
    }

    public init(
        format: String, measurement: String, apiMajor: UInt8, apiMinor: UInt8, buildID: UInt8, policy: String,
        state: String, pdh: String, certChain: String, cpu0ID: String?
    ) {
        self.format = format
        self.measurement = measurement
        self.apiMajor = apiMajor
        self.apiMinor = apiMinor
        self.buildID = buildID
        self.policy = policy
        self.state = state
        self.pdh = pdh
        self.certChain = certChain
        self.cpu0ID = cpu0ID
    }

    public init(json bytes: [UInt8], name: String) throws(AttestationError) {
        do {
            self = try JSONDecoder().decode(AttestationBundle.self, from: Data(bytes))
        } catch {
            throw .bundle("\(name): not an attestation bundle (\(Self.formatName)): \(error)")
        }
        guard format == Self.formatName else { throw .bundle("\(name): format '\(format)', expected '\(Self.formatName)'") }
    }

    /// The 48-byte measurement ‖ MNONCE.
    public var measurementBytes: [UInt8]? { Data(base64Encoded: measurement).map { [UInt8]($0) } }
}

/// The guest owner's answer to a bundle: the LAUNCH_SECRET header and payload, as `sevhost
/// secret build` prints them (`header: B64` and `payload: B64` lines) or as JSON
/// (`{"header": B64, "payload": B64}`).
public struct AttestationAnswer: Sendable, Equatable {
    public var header: [UInt8]
    public var payload: [UInt8]

    public init(header: [UInt8], payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }

    public init(text bytes: [UInt8], name: String) throws(AttestationError) {
        var fields: [String: String] = [:]
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
            for (key, value) in object { if let text = value as? String { fields[key] = text } }
        } else {
            for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].trimmingCharacters(in: .whitespaces)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        func decode(_ key: String, _ sizes: BlobText.Sizes) throws(AttestationError) -> [UInt8] {
            guard let text = fields[key] else {
                throw .bundle("\(name): no '\(key)' (expected `sevhost secret build` output: header: B64 and payload: B64)")
            }
            do {
                return try BlobText.decode(text: text, sizes)
            } catch {
                throw .bundle("\(name): \(key): \(error)")
            }
        }
        header = try decode("header", LaunchSecretPacket.headerSizes)
        payload = try decode("payload", LaunchSecretPacket.payloadSizes)
    }

    /// Injects into a guest still in `launch-secret` and, when given, still showing the
    /// measurement of the bundle the answer was made for; then lets it run. `journal` hears
    /// each step of the injection as it is reached.
    public func inject(
        into channel: some GuestChannel, bundle: AttestationBundle?, guestPhysicalAddress: UInt64? = nil,
        journal: @Sendable (InjectionStep) async -> Void = { _ in }
    ) async throws(AttestationError) {
        _ = try await PreAttestation.sevInfo(channel)
        if let bundle {
            let current: [UInt8]
            do {
                current = try await channel.launchMeasurement()
            } catch {
                throw .channel(error)
            }
            guard current == bundle.measurementBytes else { throw .bundleMismatch }
        }
        try await channel.injectAndResume(header: header, payload: payload, guestPhysicalAddress: guestPhysicalAddress, journal: journal)
    }
}
