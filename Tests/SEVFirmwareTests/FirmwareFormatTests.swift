import Foundation
import SEVKit
import SEVPlatform
import XCTest

/// Status codes and the GHCB certificate table, byte for byte.
final class FirmwareFormatTests: XCTestCase {
    func testStatusCodesCarryNameAndMeaning() {
        XCTAssertEqual(
            FirmwareStatusCode(rawValue: 1).description,
            "0x0001 INVALID_PLATFORM_STATE: the platform is not in a state that allows this command (e.g. guests are running, or it is not initialized)")
        XCTAssertEqual(FirmwareStatusCode(rawValue: 0x07).name, "POLICY_FAILURE")
        XCTAssertEqual(FirmwareStatusCode(rawValue: 0x20).description, "0x0020 RMP_INIT_REQUIRED: the RMP must be initialized first (SNP_INIT)")
        XCTAssertEqual(FirmwareStatusCode(rawValue: 0x99).description, "0x0099 UNKNOWN: the firmware returned a status code the SEV API does not define")
        XCTAssertEqual(
            SEVFirmwareError(command: "PEK_GEN", .firmware(.invalidPlatformState)).description,
            "PEK_GEN failed: firmware status 0x0001 INVALID_PLATFORM_STATE: the platform is not in a state that allows this command (e.g. guests are running, or it is not initialized)")
    }

    func testCertificateTableEncoding() throws {
        let table = SNPCertificateTable(entries: [
            .init(guid: SNPCertificateTable.ask, certificate: [0xAA, 0xBB]),
            .init(guid: SNPCertificateTable.vcek, certificate: [0xCC]),
        ])
        let expected: [UInt8] =
            [0x4A, 0xB7, 0xB3, 0x79, 0xBB, 0xAC, 0x4F, 0xE4, 0xA0, 0x2F, 0x05, 0xAE, 0xF3, 0x27, 0xC7, 0x82]
            + [72, 0, 0, 0, 2, 0, 0, 0]
            + [0x63, 0xDA, 0x75, 0x8D, 0xE6, 0x64, 0x45, 0x64, 0xAD, 0xC5, 0xF4, 0xB9, 0x3B, 0xE8, 0xAC, 0xCD]
            + [74, 0, 0, 0, 1, 0, 0, 0]
            + [UInt8](repeating: 0, count: 24)
            + [0xAA, 0xBB, 0xCC]
        XCTAssertEqual(table.encoded, expected)
        XCTAssertEqual(try SNPCertificateTable(bytes: expected, name: "t"), table)
    }

    func testCertificateTableEntryOutsideTheBytesIsAnError() {
        var bytes = SNPCertificateTable(entries: [.init(guid: SNPCertificateTable.ark, certificate: [1, 2, 3])]).encoded
        bytes.removeLast()
        XCTAssertThrowsError(try SNPCertificateTable(bytes: bytes, name: "table.bin")) { error in
            XCTAssertEqual("\(error)", "table.bin, offset 16 (0x10): entry 0 points at bytes 48..<51, outside the 50-byte table")
        }
    }
}
