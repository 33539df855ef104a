import Foundation
import SEVKit

extension LaunchPlan {
    /// The spec with every default made explicit and the policy as hex: what will actually be
    /// launched, in the spec's own schema, so it can be reviewed, diffed and fed back in.
    public var resolvedSpec: VMSpec {
        var spec = self.spec
        spec.cpu = spec.resolvedCPU
        spec.machine = spec.resolvedMachine
        spec.firmware.mode = firmwareMode
        spec.production = spec.isProduction
        spec.allowDebug = spec.debugAllowed
        spec.confidential.policy = policy.hex
        spec.confidential.vmType = vmType
        spec.confidential.kernelHashes = kernelHashes
        spec.confidential.preAttestation = preAttestation
        if let launchDigest { spec.confidential.launchDigest = Hex.encode(launchDigest) }
        if let signingRequest {
            spec.confidential.familyID = Hex.encode(signingRequest.familyID)
            spec.confidential.imageID = Hex.encode(signingRequest.imageID)
            spec.confidential.guestSVN = signingRequest.guestSVN
            spec.confidential.authorKeyEnabled = signingRequest.authorKeyPath != nil
        }
        if let disks = spec.disks {
            spec.disks = disks.map { var d = $0; d.format = d.resolvedFormat; d.readonly = d.readonly ?? false; return d }
        }
        return spec
    }

    /// `resolvedSpec` as pretty JSON with sorted keys (stable output), ending in a newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain Codable values of strings, numbers and booleans cannot fail.
        let data = (try? encoder.encode(resolvedSpec)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
