import SEVKit
import SEVTestSupport
import XCTest

/// The SEV and SEV-ES launch digests behind sevctl's `measurement build` vectors
/// (launch-vectors.json): RHEL 9's 2022 AmdSev firmware predates SEV metadata but places a
/// hashes table, so SEV and SEV-ES digests are meaningful for it while SNP ones are not.
final class SevctlLaunchDigestTests: XCTestCase {
    func testSevctlMeasurementBuildDigests() throws {
        let root = try XCTUnwrap(TestData.json("launch-vectors.json") as? [String: Any])
        let vectors = try XCTUnwrap((root["launch_measure_hmac"] as? [String: Any])?["vectors"] as? [[String: Any]])
        var checked = 0
        for vector in vectors {
            guard let firmwarePath = vector["firmware"] as? String,
                  let expected = vector["launch_digest_derived_by_independent_hex"] as? String else { continue }
            let id = vector["id"] as? String ?? "?"
            let firmware = try OVMFImage(bytes: TestData.bytes(firmwarePath))
            XCTAssertFalse(firmware.hasSEVMetadata)
            XCTAssertTrue(LaunchDigest.isSEVFirmware(firmware))
            var table: SEVHashTable?
            if let kernel = vector["kernel"] as? String {
                table = SEVHashTable(kernelHash: sha256(try TestData.bytes(kernel)),
                                     initrdHash: try (vector["initrd"] as? String).map { sha256(try TestData.bytes($0)) },
                                     commandLine: vector["cmdline"] as? String)
            }
            let digest: [UInt8]
            if let cpus = vector["num_cpus"] as? Int {
                // sevctl's VMSAs leave the x87/SSE control words zero, as KVM_SEV_ES_INIT does.
                let result = try LaunchDigest.sevES(firmware: firmware, hashTable: table, vcpus: cpus,
                                                    vcpuSignature: VCPUType.signature(family: 25, model: 1, stepping: 1), vmType: .legacy)
                XCTAssertEqual(result.vmsaPages[0], try TestData.bytes(try XCTUnwrap(vector["vmsa_cpu0"] as? String)), id)
                XCTAssertEqual(result.vmsaPages[1], try TestData.bytes(try XCTUnwrap(vector["vmsa_cpu1"] as? String)), id)
                digest = result.digest
            } else {
                digest = try LaunchDigest.sev(firmware: firmware, hashTable: table)
            }
            XCTAssertEqual(Hex.encode(digest), expected, id)
            XCTAssertThrowsError(try LaunchDigest.snp(firmware: firmware, hashTable: nil, vcpus: 1, vcpuSignature: 1, guestFeatures: 1)) {
                XCTAssertEqual($0 as? LaunchDigestError, .noSEVMetadata)
            }
            checked += 1
        }
        XCTAssertEqual(checked, 3)
    }

    private func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = StreamingSHA256()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }
}
