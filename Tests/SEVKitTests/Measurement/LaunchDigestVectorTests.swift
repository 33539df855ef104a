import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// Every vector of `measure-vectors.json`, computed by SEVKit and compared with the recorded digest.
final class LaunchDigestVectorTests: XCTestCase {
    /// sev-snp-measure's current EC2 definition (RDX 0x600) is the one sevhost implements.
    static let ec2Source = "virtee/sev-snp-measure@8f2b337e"

    func testEveryVector() throws {
        let root = try XCTUnwrap(TestData.json("measure-vectors.json") as? [String: Any])
        let vectors = try XCTUnwrap(root["vectors"] as? [[String: Any]])
        XCTAssertEqual(vectors.count, 28)
        var checked = 0
        for vector in vectors {
            let id = try XCTUnwrap(vector["id"] as? String)
            try check(vector, id: id)
            checked += 1
        }
        XCTAssertEqual(checked, vectors.count)
    }

    private func check(_ vector: [String: Any], id: String) throws {
        let mode = try XCTUnwrap(vector["mode"] as? String, id)
        let ovmfPath = try XCTUnwrap((vector["ovmf"] as? [String: Any])?["file"] as? String, id)
        let firmware = try OVMFImage(bytes: TestData.bytes(ovmfPath))
        let vcpus = vector["vcpus"] as? Int ?? 1
        let signature = try (vector["vcpu_sig"] as? String).map { try XCTUnwrap(UInt32($0.dropFirst(2), radix: 16), id) } ?? 0
        if let type = vector["vcpu_type"] as? String {
            XCTAssertEqual(VCPUType.named(type)?.signature, signature, "\(id): vcpu_type vs vcpu_sig")
        }
        let features = try (vector["guest_features"] as? String).map { try XCTUnwrap(UInt64($0.dropFirst(2), radix: 16), id) } ?? 1
        let vmm = try (vector["vmm_type"] as? String).map { try XCTUnwrap(VMMType(name: $0), id) } ?? .qemu
        let seed = (vector["snp_ovmf_hash"] as? String).flatMap(Hex.decode)
        let table = try hashTable(vector, id: id)

        let expected: String?
        if let value = vector["expected_launch_digest_hex"] as? String {
            expected = value
        } else if let bySource = vector["expected_launch_digest_hex_by_source"] as? [String: String] {
            let matches = bySource.filter { $0.key.hasPrefix(Self.ec2Source) }
            XCTAssertEqual(matches.count, 1, id)
            expected = matches.first?.value
        } else if let value = vector["expected_ovmf_hash_hex"] as? String {
            expected = value
        } else {
            expected = nil
        }

        switch mode {
        case "SEV":
            let computed = try run(id, vector) { () throws(LaunchDigestError) in
                try LaunchDigest.sev(firmware: firmware, hashTable: table)
            }
            try compare(computed, expected, id)
        case "SEV_ES":
            let computed = try run(id, vector) { () throws(LaunchDigestError) in
                // sev-snp-measure's SEV-ES VMSAs are those of a KVM_SEV_INIT2 VM.
                try LaunchDigest.sevES(firmware: firmware, hashTable: table, vcpus: vcpus,
                                       vcpuSignature: signature, vmm: vmm, vmType: .init2).digest
            }
            try compare(computed, expected, id)
        case "SEV_SNP":
            var pages: [[UInt8]] = []
            let computed = try run(id, vector) { () throws(LaunchDigestError) in
                let result = try LaunchDigest.snp(firmware: firmware, hashTable: table, vcpus: vcpus,
                                                  vcpuSignature: signature, guestFeatures: features, vmm: vmm, ovmfHash: seed)
                pages = result.vmsaPages
                return result.digest
            }
            if let files = vector["expected_dumped_vmsa_files"] as? [String] {
                XCTAssertEqual(pages.count, files.count, id)
            }
            if expected != nil || vector["expected_error"] != nil { try compare(computed, expected, id) }
        case "SEV_SNP (OVMF hash only)":
            try compare(try LaunchDigest.snpOVMFHash(firmware: firmware), expected, id)
        case "SEV_SNP_SVSM":
            let svsmPath = try XCTUnwrap((vector["svsm"] as? [String: Any])?["file"] as? String, id)
            let svsm = try OVMFImage(bytes: TestData.bytes(svsmPath))
            let varsSize = try XCTUnwrap(vector["ovmf_vars_size"] as? Int, id)
            let result = try LaunchDigest.snpSVSM(firmware: firmware, svsm: svsm, varsSize: UInt64(varsSize),
                                                  vcpus: vcpus, vcpuSignature: signature)
            if let files = vector["expected_dumped_vmsa_files"] as? [String] {
                XCTAssertEqual(result.vmsaPages.count, files.count, id)
            }
            try compare(result.digest, expected, id)
        default:
            XCTFail("\(id): unknown mode \(mode)")
        }
    }

    /// Runs a computation; for `expected_error` vectors asserts it fails with the matching error.
    private func run(_ id: String, _ vector: [String: Any], _ body: () throws(LaunchDigestError) -> [UInt8]) throws -> [UInt8]? {
        guard let expectedError = vector["expected_error"] as? String else { return try body() }
        do {
            let digest = try body()
            XCTFail("\(id): expected failure (\(expectedError)), got \(Hex.encode(digest))")
        } catch {
            // sev-snp-measure's two messages map onto sevhost's two cases.
            if expectedError.contains("SNP_KERNEL_HASHES") {
                XCTAssertEqual(error, .noSNPKernelHashes, id)
            } else {
                XCTAssertEqual(error, .noHashTable, id)
            }
        }
        return nil
    }

    private func compare(_ computed: [UInt8]?, _ expected: String?, _ id: String) throws {
        guard let expected else { return XCTAssertNil(computed, "\(id): no expected digest") }
        XCTAssertEqual(computed.map(Hex.encode), expected, id)
    }

    /// The SEV hashes table of a vector: kernel and initrd are /dev/null (empty) or absent.
    private func hashTable(_ vector: [String: Any], id: String) throws -> SEVHashTable? {
        guard let kernel = vector["kernel"] as? [String: Any] else { return nil }
        XCTAssertEqual(kernel["path"] as? String, "/dev/null", id)
        let empty = StreamingSHA256().finalize()
        let initrd = (vector["initrd"] as? [String: Any]) != nil ? empty : nil
        return SEVHashTable(kernelHash: empty, initrdHash: initrd, commandLine: vector["append"] as? String)
    }
}
