import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// Firmware that cannot produce a real launch digest gets an error, never a number.
final class LaunchDigestErrorTests: XCTestCase {
    static let ovmfX64 = "virtee-sev-snp-measure/tests/fixtures/ovmf_OvmfX64_suffix.bin"
    static let amdSev = "virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin"

    private var emptyKernelTable: SEVHashTable {
        let empty = StreamingSHA256().finalize()
        return SEVHashTable(kernelHash: empty, initrdHash: empty, commandLine: nil)
    }

    func testNoMetadataIsAnErrorInEveryMode() throws {
        // Debian's 4 MiB build has neither SEV metadata nor a hashes table or secret area.
        guard let fourMiB = FileManager.default.contents(atPath: "/usr/share/OVMF/OVMF_CODE_4M.fd") else {
            try Peers.missing("/usr/share/OVMF/OVMF_CODE_4M.fd")
        }
        for image in [try OVMFImage(bytes: [UInt8](fourMiB))] {
            XCTAssertFalse(image.hasSEVMetadata)
            XCTAssertFalse(LaunchDigest.isSEVFirmware(image))
            XCTAssertThrowsError(try LaunchDigest.sev(firmware: image, hashTable: nil)) {
                XCTAssertEqual($0 as? LaunchDigestError, .noSEVMetadata)
            }
            XCTAssertThrowsError(try LaunchDigest.sevES(firmware: image, hashTable: nil, vcpus: 1, vcpuSignature: 0x800f12, vmType: .legacy)) {
                XCTAssertEqual($0 as? LaunchDigestError, .noSEVMetadata)
            }
            XCTAssertThrowsError(try LaunchDigest.snp(firmware: image, hashTable: nil, vcpus: 1, vcpuSignature: 0x800f12, guestFeatures: 1)) {
                XCTAssertEqual($0 as? LaunchDigestError, .noSEVMetadata)
            }
            XCTAssertThrowsError(try LaunchDigest.snpOVMFHash(firmware: image)) {
                XCTAssertEqual($0 as? LaunchDigestError, .noSEVMetadata)
            }
        }
        XCTAssertTrue(LaunchDigestError.noSEVMetadata.description.hasPrefix(
            "firmware carries no SEV metadata (footer table entry dc886566-984a-4798-a75e-5585a7bf67cc)"))
    }

    func testKernelWithoutHashTableIsAnError() throws {
        let image = try OVMFImage(bytes: TestData.bytes(Self.ovmfX64))
        XCTAssertThrowsError(try LaunchDigest.sev(firmware: image, hashTable: emptyKernelTable)) {
            XCTAssertEqual($0 as? LaunchDigestError, .noHashTable)
        }
        XCTAssertThrowsError(try LaunchDigest.sevES(firmware: image, hashTable: emptyKernelTable, vcpus: 2, vcpuSignature: 1, vmType: .legacy)) {
            XCTAssertEqual($0 as? LaunchDigestError, .noHashTable)
        }
        XCTAssertThrowsError(try LaunchDigest.snp(firmware: image, hashTable: emptyKernelTable, vcpus: 1, vcpuSignature: 1, guestFeatures: 1)) {
            XCTAssertEqual($0 as? LaunchDigestError, .noSNPKernelHashes)
        }
    }

    func testBadCountsAndSeeds() throws {
        let image = try OVMFImage(bytes: TestData.bytes(Self.amdSev))
        XCTAssertThrowsError(try LaunchDigest.snp(firmware: image, hashTable: nil, vcpus: 0, vcpuSignature: 1, guestFeatures: 1)) {
            XCTAssertEqual($0 as? LaunchDigestError, .invalidVCPUCount(0))
        }
        XCTAssertThrowsError(try LaunchDigest.snp(firmware: image, hashTable: nil, vcpus: 1, vcpuSignature: 1, guestFeatures: 1, ovmfHash: [1, 2])) {
            XCTAssertEqual($0 as? LaunchDigestError, .invalidOVMFHashLength(2))
        }
        // A firmware that is not a whole number of pages cannot be measured page by page.
        let truncated = try OVMFImage(bytes: Array(TestData.bytes(Self.amdSev).dropFirst(16)))
        XCTAssertThrowsError(try LaunchDigest.snpOVMFHash(firmware: truncated)) {
            XCTAssertEqual($0 as? LaunchDigestError, .notPageAligned(what: "image size", value: 4080))
        }
    }

    func testHashTableLayout() {
        let table = SEVHashTable(kernelHash: [UInt8](repeating: 0xaa, count: 32),
                                 initrdHash: [UInt8](repeating: 0xbb, count: 32),
                                 cmdlineHash: [UInt8](repeating: 0xcc, count: 32))
        let bytes = table.bytes
        XCTAssertEqual(bytes.count, 176)
        XCTAssertEqual(Hex.encode(bytes[0..<18]), "06d63894224fc94cb479a793d411fd21a800")
        XCTAssertEqual(Hex.encode(bytes[18..<36]), "d82dd09720bd944caa78e7714d36ab2a3200")
        XCTAssertEqual(bytes[36..<68], ArraySlice(repeating: 0xcc, count: 32))
        XCTAssertEqual(Hex.encode(bytes[68..<86]), "31f7ba442f3ad74b9af141e29169781d3200")
        XCTAssertEqual(Hex.encode(bytes[118..<136]), "3794e74dd2ab7f42b835d5b172d2045b3200")
        XCTAssertEqual(bytes[136..<168], ArraySlice(repeating: 0xaa, count: 32))
        XCTAssertEqual(bytes[168...], ArraySlice(repeating: 0, count: 8))
        let page = table.page(offset: 0xc00)
        XCTAssertEqual(Array(page[0xc00..<(0xc00 + 176)]), bytes)
        XCTAssertEqual(page.count, 4096)
        XCTAssertEqual(SEVHashTable.commandLineBytes(nil), [0])
        XCTAssertEqual(SEVHashTable.commandLineBytes("a b"), [0x61, 0x20, 0x62, 0])
    }
}
