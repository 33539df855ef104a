import Foundation
import Launch
import SEVKit

/// What the reports of a guest launched from a spec must show, recomputed from the spec alone:
/// the guest owner's side of a signed launch (`sevhost report verify --expect SPEC`).
///
/// The measurement is the launch digest of the spec's own inputs (never a value written in the
/// spec, which is at most checked against it); the key digests come from the keys the spec
/// names, whose public halves suffice; HOST_DATA, the policy and the ID block fields are the
/// spec's. Keys and files are read once, however many reports are then compared.
public enum SNPSpecExpectation {
    /// The expectation for a resolved SEV-SNP plan; `firmware` when the caller has read the image.
    static func compute(_ plan: LaunchPlan, firmware: OVMFImage? = nil, vmpl: UInt32 = 0) throws(LaunchError) -> SNPGuestExpectation {
        guard case .snp(let policy) = plan.policy else {
            throw .invalidField(field: "confidential.type", problem: "is \(plan.type.rawValue): only SEV-SNP guests produce attestation reports")
        }
        // A plan sevhost signed carries the digest of its inputs in its block; otherwise the
        // digest of the inputs alone, signing nothing, so public keys are enough.
        let digest: [UInt8]
        if let signed = plan.signedIDBlock {
            digest = signed.block.launchDigest
        } else {
            digest = try SNPLaunchPreparation.launchDigest(for: plan, firmware: firmware)
        }
        var identity: SNPLaunchIdentity?
        if let signed = plan.signedIDBlock {
            identity = signed.identity
        } else if let request = plan.signingRequest {
            let block: IDBlock
            do {
                block = try request.block(launchDigest: digest, policy: policy.rawValue)
            } catch {
                throw .invalidField(field: "confidential.policy", problem: error.message)
            }
            identity = SNPLaunchIdentity(
                block: block,
                idKey: try SNPLaunchPreparation.publicKey(request.idKeyPath, field: "confidential.id-key"),
                authorKey: try request.authorKeyPath.map { path throws(LaunchError) in
                    try SNPLaunchPreparation.publicKey(path, field: "confidential.author-key")
                })
        } else if let block = plan.inlineIDBlock, let authText = plan.spec.confidential.idAuth,
                  let authBytes = Data(base64Encoded: authText)
        {
            do {
                let auth = try IDAuthInfo(bytes: [UInt8](authBytes))
                identity = SNPLaunchIdentity(block: block, auth: auth, authorKeyEnabled: plan.authorKeyEnabled ?? false)
            } catch {
                throw .invalidField(field: "confidential.id-auth", problem: error.description)
            }
        }
        let hostData = plan.spec.confidential.hostData.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        return SNPGuestExpectation(measurement: digest, policy: policy, hostData: hostData, identity: identity, vmpl: vmpl)
    }

    /// Loads and resolves the spec at `path` and computes its expectation; errors are one line
    /// naming the file, the line when known, and the field. The file may also be an
    /// expectation sevhostd recorded (`sevhost vm expect NAME --json`), taken as it is.
    public static func load(specPath path: String, vmpl: UInt32 = 0) throws(ReportInputError) -> SNPGuestExpectation {
        if let data = FileManager.default.contents(atPath: path), data.count < 64 << 10,
           let recorded = try? JSONDecoder().decode(VMExpectation.self, from: data)
        {
            do {
                return try recorded.expectation()
            } catch {
                throw ReportInputError("\(path): \(error.message)")
            }
        }
        let document: SpecDocument
        do {
            document = try SpecDocument.load(path: path)
        } catch {
            throw ReportInputError(error.description)
        }
        // The owner's copy of the firmware, checked as a launch is by the same resolver (less
        // the platform side's session files, which do not enter the measurement).
        let firmware: OVMFImage
        do {
            firmware = try OVMFImage(bytes: try MeasurementFiles.contents(document.spec.firmware.path))
        } catch let error as MeasurementFileError {
            throw ReportInputError(document.failure(.unreadableFile(field: "firmware.path", path: error.path, reason: error.reason)).description)
        } catch {
            throw ReportInputError(document.failure(.invalidField(field: "firmware.path", problem: "\(document.spec.firmware.path): \(error)")).description)
        }
        let plan: LaunchPlan
        do {
            plan = try LaunchResolver(host: .unknown).measuredPlan(document, firmware: firmware)
        } catch {
            throw ReportInputError(error.description)
        }
        do {
            return try compute(plan, firmware: firmware, vmpl: vmpl)
        } catch {
            throw ReportInputError(document.failure(error).description)
        }
    }
}

extension ResolvedLaunch {
    /// What the reports of this launch must show (nil for SEV and SEV-ES): for a launch sevhost
    /// signed, the digest and keys of the ID block it signed.
    public func snpExpectation(vmpl: UInt32 = 0) throws(LaunchFailure) -> SNPGuestExpectation? {
        guard plan.type == .sevSNP else { return nil }
        do {
            return try SNPSpecExpectation.compute(plan, vmpl: vmpl)
        } catch {
            throw document.failure(error)
        }
    }
}
