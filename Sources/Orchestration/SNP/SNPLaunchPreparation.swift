import Foundation
import Launch
import SEVKit

/// The half of resolving an SEV-SNP launch that reads the spec's files: the launch digest the
/// PSP will compute for the QEMU command line sevhost builds from the spec, the checks of inline
/// and pinned digests against it, and the ID block signed for it.
///
/// Signing the digest of the spec's own inputs is what makes the firmware the enforcer: a launch
/// with another firmware, kernel, command line, vCPU count or model than the spec's measures
/// differently, and SNP_LAUNCH_FINISH refuses it (BAD_MEASUREMENT).
enum SNPLaunchPreparation {
    /// The measured inputs of `plan`, read from its files: the firmware (`firmware`, when the
    /// caller has read it already), the kernel hashes with `kernel-hashes`, the vCPU count and the
    /// CPUID signature of its model. QEMU's own VMSA features and VMM complete them.
    static func inputs(for plan: LaunchPlan, firmware: OVMFImage? = nil) throws(LaunchError) -> SNPLaunchInputs {
        let spec = plan.spec
        let cpu = spec.resolvedCPU
        guard let model = VCPUType.named(cpu) else {
            throw .invalidField(
                field: "cpu",
                problem: "'\(cpu)' has no known CPUID signature, which every SNP VMSA measures, so the launch digest cannot be computed (use a named model such as EPYC-v4 or EPYC-Milan)")
        }
        let image: OVMFImage
        if let firmware {
            image = firmware
        } else {
            do {
                image = try OVMFImage(bytes: try MeasurementFiles.contents(spec.firmware.path))
            } catch let error as MeasurementFileError {
                throw .unreadableFile(field: "firmware.path", path: spec.firmware.path, reason: error.reason)
            } catch {
                throw .invalidField(field: "firmware.path", problem: "\(spec.firmware.path): \(error)")
            }
        }
        var table: SEVHashTable?
        if plan.kernelHashes, let kernel = spec.kernel {
            // Hashed here, on the caller's thread: a launch (or a daemon's start) must not go on
            // before its digest is known, and the two files are read once each.
            do {
                table = SEVHashTable(
                    kernelHash: try MeasurementFiles.sha256(kernel.path),
                    initrdHash: try kernel.initrd.map { path throws(MeasurementFileError) in try MeasurementFiles.sha256(path) },
                    commandLine: kernel.append)
            } catch {
                let field = error.path == kernel.initrd ? "kernel.initrd" : "kernel.path"
                throw .unreadableFile(field: field, path: error.path, reason: error.reason)
            }
        }
        return SNPLaunchInputs(firmware: image, hashTable: table, vcpus: spec.vcpus, vcpuSignature: model.signature)
    }

    /// The launch digest of `plan`'s inputs.
    static func launchDigest(for plan: LaunchPlan, firmware: OVMFImage? = nil) throws(LaunchError) -> [UInt8] {
        let inputs = try inputs(for: plan, firmware: firmware)
        do {
            return try inputs.digest()
        } catch {
            throw .invalidField(field: "firmware.path", problem: "\(plan.spec.firmware.path): \(error)")
        }
    }

    /// Whether the plan needs its launch digest: to sign, or to check an inline ID block or a
    /// pinned `launch-digest` against it.
    static func needsDigest(_ plan: LaunchPlan) -> Bool {
        plan.type == .sevSNP && (plan.signingRequest != nil || plan.inlineIDBlock != nil || plan.spec.confidential.launchDigest != nil)
    }

    /// Completes an SNP plan: computes the digest when `needsDigest` (or `always`), refuses an
    /// inline ID block or a pinned digest that disagrees with it (naming both values), and signs
    /// the ID block the spec asks for. Other plans come back unchanged.
    static func prepare(_ plan: LaunchPlan, always: Bool = false, firmware: OVMFImage? = nil) throws(LaunchError) -> LaunchPlan {
        guard plan.type == .sevSNP, always || needsDigest(plan) else { return plan }
        let computed = try launchDigest(for: plan, firmware: firmware)
        var prepared = plan
        if let pinned = plan.launchDigest, pinned != computed {
            throw .launchDigestMismatch(pinned: Hex.encode(pinned), computed: Hex.encode(computed))
        }
        if let block = plan.inlineIDBlock, block.launchDigest != computed {
            throw .idBlockDigestMismatch(idBlock: Hex.encode(block.launchDigest), spec: Hex.encode(computed))
        }
        prepared.launchDigest = computed
        if let request = plan.signingRequest {
            prepared.signedIDBlock = try sign(request, launchDigest: computed, policy: plan.policy.rawValue)
        }
        return prepared
    }

    /// Builds and signs the block; the keys are read here, so a launch that signs nothing never
    /// touches them.
    static func sign(_ request: SNPSigningRequest, launchDigest: [UInt8], policy: UInt64) throws(LaunchError) -> SignedIDBlock {
        let idPEM = try keyText(request.idKeyPath, field: "confidential.id-key")
        let authorPEM = try request.authorKeyPath.map { path throws(LaunchError) in
            try keyText(path, field: "confidential.author-key")
        }
        let block: IDBlock
        do {
            block = try request.block(launchDigest: launchDigest, policy: policy)
        } catch {
            throw .invalidField(field: "confidential.policy", problem: error.message)
        }
        do {
            return try SignedIDBlock.sign(
                block, idKeyPEM: idPEM, idKeyName: request.idKeyPath, authorKeyPEM: authorPEM, authorKeyName: request.authorKeyPath)
        } catch {
            let field = request.authorKeyPath.map { error.message.hasPrefix($0) } == true ? "confidential.author-key" : "confidential.id-key"
            throw .invalidField(field: field, problem: error.message)
        }
    }

    /// The public half of a key file, which may hold a private key (the platform owner's copy)
    /// or only the public key (a guest owner's).
    static func publicKey(_ path: String, field: String) throws(LaunchError) -> SEVECDSAPublicKey {
        let pem = try keyText(path, field: field)
        do {
            return SEVECDSAPublicKey(try SigningKeyFile.publicKey(pem: pem, name: path))
        } catch {
            throw .invalidField(field: field, problem: error.message)
        }
    }

    private static func keyText(_ path: String, field: String) throws(LaunchError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try MeasurementFiles.contents(path)
        } catch {
            throw .unreadableFile(field: field, path: path, reason: error.reason)
        }
        // A PEM key is a few hundred bytes; anything large is not one, and is never echoed.
        guard bytes.count <= 64 << 10 else {
            throw .invalidField(field: field, problem: "\(path): \(bytes.count) bytes is not a PEM key")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
