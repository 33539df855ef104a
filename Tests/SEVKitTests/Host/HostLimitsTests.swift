import SEVKit
import XCTest

/// The host-limit arithmetic, from Linux's sev.c and ccp's firmware lookup.
final class HostLimitsTests: XCTestCase {
    func testKVMPolicyBitsBeforeAndAfter619() {
        XCTAssertEqual(KVMSNPPolicyBits.fixedMask, 0x1B_FFFF)
        XCTAssertEqual(KVMSNPPolicyBits.beforeLinux619.refusedBits(of: 0x70000), [18])
        XCTAssertEqual(KVMSNPPolicyBits.beforeLinux619.refusedBits(of: 0x30000), [])
        XCTAssertEqual(KVMSNPPolicyBits.describe(bit: 18), "bit 18 (MIGRATE_MA)")
        XCTAssertEqual(KVMSNPPolicyBits.describe(bit: 26), "bit 26 (reserved)")
        XCTAssertEqual(KVMSNPPolicyBits(mask: 0x3FB_FFFF, source: .deviceAttribute).refusedBits(of: 0x2070000), [18])
    }

    func testASIDSplit() {
        let plain = ASIDSplit(maxASID: 509, minSEVASID: 100, ciphertextHidingASIDs: nil)
        XCTAssertEqual([plain.sev.count, plain.sevES.count, plain.snp.count], [410, 99, 99])
        let hidden = ASIDSplit(maxASID: 1006, minSEVASID: 100, ciphertextHidingASIDs: 50)
        XCTAssertEqual(hidden.snp.description, "1-50 (50)")
        XCTAssertEqual(hidden.sevES.description, "51-99 (49)")
        let allSNP = ASIDSplit(maxASID: 1006, minSEVASID: 100, ciphertextHidingASIDs: 500)
        XCTAssertEqual(allSNP.snp.description, "1-99 (99)")
        XCTAssertEqual(allSNP.sevES.description, "none")
        let noES = ASIDSplit(maxASID: 1006, minSEVASID: 1, ciphertextHidingASIDs: nil)
        XCTAssertEqual(noES.range(for: .snp).count, 0)
        XCTAssertEqual(noES.sev.description, "1-1006 (1006)")
    }

    func testFirmwareFileNamesAndHeader() {
        XCTAssertEqual(SEVFirmwareFile.candidateNames(family: 0x19, model: 0x11),
                       ["amd/amd_sev_fam19h_model11h.sbin", "amd/amd_sev_fam19h_model1xh.sbin", "amd/sev.fw"])
        XCTAssertEqual(SEVFirmwareFile.candidateNames(family: 0x1a, model: 0x02)[1], "amd/amd_sev_fam1ah_model0xh.sbin")
        var header = [UInt8](repeating: 0, count: 0x100)
        header.replaceSubrange(0x10..<0x14, with: Array("$PS1".utf8))
        header.replaceSubrange(0x60..<0x64, with: [21, 55, 1, 0])
        XCTAssertEqual(SEVFirmwareFile.version(header: header)?.description, "1.55.21")
        XCTAssertNil(SEVFirmwareFile.version(header: [UInt8](repeating: 0, count: 0x100)))
    }

    func testIdentificationOfUnknownCPUs() {
        let turin = ProcessorIdentification(family: 0x1a, model: 0x02, memoryEncryptionEAX: 0x1b)
        XCTAssertEqual(turin.product, .turin)
        XCTAssertNil(turin.note)
        let next = ProcessorIdentification(family: 0x1a, model: 0x50, memoryEncryptionEAX: 0x1b)
        XCTAssertNil(next.product)
        XCTAssertEqual(next.generation, .snp)
        XCTAssertEqual(next.tcbLayout, .turin)
        let milanLike = ProcessorIdentification(family: 0x19, model: 0x70, memoryEncryptionEAX: 0x0b)
        XCTAssertEqual(milanLike.generation, .es)
        XCTAssertEqual(milanLike.tcbLayout, .milanGenoa)
        XCTAssertNil(ProcessorIdentification(family: 0x19, model: 0x70, memoryEncryptionEAX: 0).generation)
    }
}
