import Foundation
import Launch
import SEVKit

/// What the guest owner expects the platform to have launched: the launch digest and the
/// policy, the two launch inputs the measurement covers besides the firmware API version.
public struct ExpectedLaunch: Sendable, Equatable {
    public var launchDigest: [UInt8]
    public var policy: UInt32

    public init(launchDigest: [UInt8], policy: UInt32) {
        self.launchDigest = launchDigest
        self.policy = policy
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
    /// table when `kernel-hashes` is on, and one VMSA per vCPU for SEV-ES.
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
                return ExpectedLaunch(launchDigest: try LaunchDigest.sev(firmware: firmware, hashTable: table), policy: policy.rawValue)
            case .sevES:
                guard let cpu = VCPUType.named(spec.resolvedCPU) else {
                    throw AttestationError.expectation("\(path): cpu '\(spec.resolvedCPU)' has no known CPUID signature, which SEV-ES measures")
                }
                let result = try LaunchDigest.sevES(
                    firmware: firmware, hashTable: table, vcpus: spec.vcpus, vcpuSignature: cpu.signature)
                return ExpectedLaunch(launchDigest: result.digest, policy: policy.rawValue)
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
