import Foundation
import Launch
import SEVKit

/// What the guest owner expects the platform to have launched: the launch digest and the
/// policy, the two launch inputs the measurement covers besides the firmware API version.
public struct ExpectedLaunch: Sendable, Equatable {
    public var launchDigest: [UInt8]
    public var policy: UInt32
    /// The firmware's SEV secret area (its footer table). Without `--gpa`, QEMU puts the
    /// secret there or refuses to, so a secret that cannot go anywhere is refused before its
    /// measurement's MNONCE is recorded.
    public var secretArea: SecretArea

    /// What is known of the firmware's secret area.
    public enum SecretArea: Sendable, Equatable {
        /// Only a digest was given: the firmware is not known.
        case unknown
        /// The firmware publishes none (Debian's OVMF).
        case absent
        case present(GuestMemoryRange)

        init(_ range: GuestMemoryRange?) { self = range.map(SecretArea.present) ?? .absent }
    }

    public init(launchDigest: [UInt8], policy: UInt32, secretArea: SecretArea = .unknown) {
        self.launchDigest = launchDigest
        self.policy = policy
        self.secretArea = secretArea
    }

    /// From a launch digest given as 64 hex digits or base64 of 32 bytes.
    public init(digest text: String, policy: UInt32) throws(AttestationError) {
        if text.count == 64, let bytes = Hex.decode(text) {
            self.init(launchDigest: bytes, policy: policy)
        } else if let data = Data(base64Encoded: text), data.count == 32 {
            self.init(launchDigest: [UInt8](data), policy: policy)
        } else {
            throw .expectation("'\(text.prefix(80))': expected a VM spec file, or a launch digest as 64 hex digits or base64 of 32 bytes")
        }
    }

    /// Recomputes the launch digest from a VM spec, exactly as the PSP will compute it for the
    /// QEMU command line `sevhost launch` builds from the same spec: the firmware, the hashes
    /// table when `kernel-hashes` is on, and one VMSA per vCPU for SEV-ES, filled as KVM fills
    /// it for the spec's VM type (the same `vm-type` the argv states).
    public static func fromSpec(path: String) async throws(AttestationError) -> ExpectedLaunch {
        let document: SpecDocument
        do {
            document = try SpecDocument.load(path: path, lineNumbers: false)
        } catch {
            throw .expectation(error.description)
        }
        let spec = document.spec
        let firmwareBytes: [UInt8]
        let firmware: OVMFImage
        do {
            firmwareBytes = try MeasurementFiles.contents(spec.firmware.path)
            firmware = try OVMFImage(bytes: firmwareBytes)
        } catch let error as MeasurementFileError {
            throw .expectation("\(path): firmware: \(error)")
        } catch {
            throw .expectation("\(path): firmware \(spec.firmware.path): \(error)")
        }
        // Checked as a launch is, by the same resolver, less the session files: they do not
        // enter the measurement, and the guest owner need not hold the platform side's copies.
        let plan: LaunchPlan
        do {
            plan = try LaunchResolver(host: .unknown).measuredPlan(document, firmware: firmware)
        } catch {
            throw .expectation(error.description)
        }
        guard case .sev(let policy) = plan.policy else {
            throw .expectation("\(path): an SEV-SNP guest is attested from inside the guest, not by pre-attestation")
        }
        var table: SEVHashTable?
        if plan.kernelHashes, let kernel = spec.kernel {
            do {
                table = try await MeasurementFiles.hashTable(kernel: kernel.path, initrd: kernel.initrd, commandLine: kernel.append)
            } catch {
                throw .expectation("\(path): \(error)")
            }
        }
        do {
            switch plan.type {
            case .sev:
                return ExpectedLaunch(
                    launchDigest: try LaunchDigest.sev(firmware: firmware, hashTable: table), policy: policy.rawValue,
                    secretArea: SecretArea(firmware.sevSecretLocation))
            case .sevES:
                guard let cpu = VCPUType.named(spec.resolvedCPU) else {
                    throw AttestationError.expectation("\(path): cpu '\(spec.resolvedCPU)' has no known CPUID signature, which SEV-ES measures")
                }
                let result = try LaunchDigest.sevES(
                    firmware: firmware, hashTable: table, vcpus: spec.vcpus, vcpuSignature: cpu.signature,
                    vmType: plan.vmType ?? SEVVMType.qemuDefault)
                return ExpectedLaunch(launchDigest: result.digest, policy: policy.rawValue, secretArea: SecretArea(firmware.sevSecretLocation))
            case .sevSNP:
                throw AttestationError.expectation("\(path): an SEV-SNP guest is attested from inside the guest")
            }
        } catch let error as AttestationError {
            throw error
        } catch {
            throw .expectation("\(path): firmware \(spec.firmware.path): \(error)")
        }
    }
}
