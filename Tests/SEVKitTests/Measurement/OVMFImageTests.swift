import SEVKit
import SEVTestSupport
import XCTest

final class OVMFImageTests: XCTestCase {
    static let amdSev = "virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin"
    static let ovmfX64 = "virtee-sev-snp-measure/tests/fixtures/ovmf_OvmfX64_suffix.bin"
    static let sevctlFirmware = "virtee-sevctl/tests/data/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9"

    func testAmdSevFixtureFooterTableAndMetadata() throws {
        let image = try OVMFImage(bytes: TestData.bytes(Self.amdSev))
        XCTAssertEqual(image.footerTable.map(\.guid.description), [
            "e47a6535-984a-4798-865e-4685a7bf8ec2",
            "dc886566-984a-4798-a75e-5585a7bf67cc",
            "7255371f-3a3b-4b04-927b-1da6efa8d454",
            "4c2eb361-7d9b-4cc3-8081-127c90d3d294",
            "00f771de-1a7e-4fcb-890e-68c77e2fb44e",
        ])
        XCTAssertEqual(image.entry(OVMFFooterGUID.sevHashTable)?.data, [0x00, 0x0c, 0x81, 0x00, 0x00, 0x04, 0x00, 0x00])
        XCTAssertTrue(image.hasSEVMetadata)
        XCTAssertEqual(image.sevMetadata?.offset, 4096 - 0x554)
        XCTAssertEqual(image.sevMetadata?.version, 1)
        XCTAssertEqual(image.sevMetadata?.sections, [
            SEVMetadataSection(gpa: 0x80_0000, size: 0x9000, kind: .snpSecureMemory),
            SEVMetadataSection(gpa: 0x80_a000, size: 0x3000, kind: .snpSecureMemory),
            SEVMetadataSection(gpa: 0x80_d000, size: 0x1000, kind: .snpSecrets),
            SEVMetadataSection(gpa: 0x80_e000, size: 0x1000, kind: .cpuid),
            SEVMetadataSection(gpa: 0x80_f000, size: 0x1000, kind: .svsmCallingArea),
            SEVMetadataSection(gpa: 0x81_0000, size: 0x1000, kind: .snpKernelHashes),
            SEVMetadataSection(gpa: 0x81_1000, size: 0xf000, kind: .snpSecureMemory),
        ])
        XCTAssertTrue(image.supportsSEVES)
        XCTAssertEqual(image.sevESResetAddress, 0x80_b004)
        XCTAssertEqual(image.sevHashTableLocation, GuestMemoryRange(gpa: 0x81_0c00, size: 0x400))
        XCTAssertEqual(image.sevSecretLocation, GuestMemoryRange(gpa: 0x81_0000, size: 0xc00))
        XCTAssertTrue(image.hasSNPKernelHashes)
    }

    func testOvmfX64FixtureHasNoHashTable() throws {
        let image = try OVMFImage(bytes: TestData.bytes(Self.ovmfX64))
        XCTAssertTrue(image.hasSEVMetadata)
        XCTAssertTrue(image.supportsSEVES)
        XCTAssertNil(image.sevHashTableLocation, "GUID present with GPA 0 means no hash table")
        XCTAssertNil(image.sevSecretLocation)
        XCTAssertFalse(image.hasSNPKernelHashes)
        XCTAssertEqual(image.sevMetadata?.sections.map(\.kind),
                       [.snpSecureMemory, .snpSecureMemory, .snpSecrets, .cpuid, .svsmCallingArea, .snpSecureMemory])
    }

    func testSevctlFirmwareHasNoMetadataButResetBlock() throws {
        let image = try OVMFImage(bytes: TestData.bytes(Self.sevctlFirmware))
        XCTAssertFalse(image.hasSEVMetadata)
        XCTAssertEqual(image.sevESResetAddress, 0x80_b004)
        XCTAssertEqual(image.sevHashTableLocation, GuestMemoryRange(gpa: 0x80_cc00, size: 0x400))
        XCTAssertFalse(image.hasSNPKernelHashes)
    }

    func testDebianBuilds() throws {
        let twoMiB = try systemFirmware("/usr/share/OVMF/OVMF_CODE.fd")
        XCTAssertTrue(twoMiB.hasSEVMetadata)
        XCTAssertTrue(twoMiB.supportsSEVES)
        XCTAssertNil(twoMiB.sevHashTableLocation)
        XCTAssertFalse(twoMiB.hasSNPKernelHashes)
        XCTAssertEqual(twoMiB.sevMetadata?.sections.count, 5)

        let fourMiB = try systemFirmware("/usr/share/OVMF/OVMF_CODE_4M.fd")
        XCTAssertFalse(fourMiB.hasSEVMetadata)
        XCTAssertNil(fourMiB.sevMetadata)
        XCTAssertFalse(fourMiB.hasSNPKernelHashes)
    }

    func testImageWithoutFooterHasEmptyTable() throws {
        let image = try OVMFImage(bytes: [UInt8](repeating: 0xff, count: 8192))
        XCTAssertTrue(image.footerTable.isEmpty)
        XCTAssertFalse(image.hasSEVMetadata)
        XCTAssertFalse(image.supportsSEVES)
        XCTAssertNil(try OVMFImage(bytes: [1, 2, 3]).sevMetadata)
    }

    func testUnknownSectionTypeIsNamed() throws {
        var bytes = try TestData.bytes(Self.amdSev)
        let typeOffset = 4096 - 0x554 + 16 + 2 * 12 + 8  // third section's type field
        XCTAssertEqual(bytes[typeOffset], 2)
        bytes[typeOffset] = 7
        XCTAssertThrowsError(try OVMFImage(bytes: bytes)) { error in
            XCTAssertEqual(error as? OVMFImageError, .unknownSectionType(7, index: 2, offset: typeOffset))
            XCTAssertEqual(
                "\(error)",
                "OVMF SEV metadata, offset \(typeOffset) (0x\(String(typeOffset, radix: 16))): section 2 has unknown type 0x7 (known: 0x1 SNP_SEC_MEM, 0x2 SNP_SECRETS, 0x3 CPUID, 0x4 SVSM_CAA, 0x10 SNP_KERNEL_HASHES)")
        }
    }

    func testBadSignatureAndEntryLength() throws {
        let original = try TestData.bytes(Self.amdSev)
        var bytes = original
        bytes[4096 - 0x554] = UInt8(ascii: "B")
        XCTAssertThrowsError(try OVMFImage(bytes: bytes)) { error in
            XCTAssertEqual("\(error)", "OVMF SEV metadata, offset 2732 (0xaac): signature must be \"ASEV\", found 0x42534556")
        }

        bytes = original
        // The entry just before the footer is the SEV-ES reset block; its length field sits
        // 18 bytes before the footer entry's trailer.
        let footerTrailer = 4096 - 32 - 18
        let lengthOffset = footerTrailer - 18
        XCTAssertEqual(bytes[lengthOffset], 22)
        bytes[lengthOffset] = 3
        XCTAssertThrowsError(try OVMFImage(bytes: bytes)) { error in
            guard case .malformed(let inner) = error as? OVMFImageError else { return XCTFail("\(error)") }
            XCTAssertEqual(inner.offset, lengthOffset)
        }
    }

    private func systemFirmware(_ path: String) throws -> OVMFImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            try Peers.missing(path)
        }
        return try OVMFImage(bytes: [UInt8](data))
    }
}
