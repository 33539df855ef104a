import Foundation
import SEVKit
import XCTest

/// The forms the tools write a blob in, each read back to the same bytes, and the ones that
/// could be read two ways read the documented way.
final class BlobTextTests: XCTestCase {
    /// sevctl's secret vector: the LAUNCH_MEASURE blob as `sevctl secret build` is given it.
    let blob = [UInt8](Data(base64Encoded: "TLeA7607lZQntLjRY1/i+sbtdSZ+75zxpz4Px9hzpBLwItF5Q2o4prA++3ZZv9ZS")!)

    func testEveryFormOfAMeasurementDecodesToTheSameBytes() throws {
        let base64 = Data(blob).base64EncodedString()
        let sizes = BlobText.Sizes.exactly(48, 32)
        let files: [(String, [UInt8])] = [
            ("raw (sevctl measurement build --outfile)", blob),
            ("base64 (sevctl's printout, QEMU's data)", Array((base64 + "\n").utf8)),
            ("hex (sevhost qmp measure)", Array((Hex.encode(blob) + "\n").utf8)),
            ("0x hex", Array(("0x" + Hex.encode(blob)).utf8)),
            ("base64 wrapped at 76 (base64(1))", Array((String(base64.prefix(40)) + "\n" + String(base64.dropFirst(40)) + "\n").utf8)),
            ("QMP reply", Array(#"{"return": {"data": "\#(base64)"}, "id": 1}"#.utf8)),
            ("QMP data object", Array(#"{"data": "\#(base64)"}"#.utf8)),
            ("virsh domlaunchsecinfo", Array("sev-measurement: \(base64)\nsev-api-major  : 1\nsev-api-minor  : 55\n".utf8)),
        ]
        for (form, bytes) in files {
            XCTAssertEqual(try BlobText.decode(file: bytes, sizes), blob, form)
        }
        XCTAssertEqual(try BlobText.decode(text: base64, sizes), blob)
        XCTAssertEqual(try BlobText.decode(text: Hex.encode(blob).uppercased(), sizes), blob)
    }

    /// 64 hex digits are also base64 of 48 bytes: hex wins, so a 32-byte measurement printed
    /// as hex is that measurement, not 48 bytes of something else.
    func testHexWinsOverBase64OfATakenSize() throws {
        let measurement = Array(blob.prefix(32))
        let hex = Hex.encode(measurement)
        XCTAssertEqual(Data(base64Encoded: hex)?.count, 48, "the ambiguity this rule settles")
        XCTAssertEqual(try BlobText.decode(text: hex, .exactly(48, 32)), measurement)
        XCTAssertEqual(try BlobText.decode(file: Array(hex.utf8), .exactly(48, 32)), measurement)
    }

    /// Raw bytes of a taken size are raw unless they are text of a taken size; a 16-byte key
    /// that happens to be printable base64 of 12 bytes stays the key.
    func testRawKeysStayRaw() throws {
        let printable = Array("ABCDEFGHabcdefgh".utf8)
        XCTAssertEqual(try BlobText.decode(file: printable, .exactly(16)), printable)
        let random: [UInt8] = [0x3d, 0x66, 0x75, 0x3e, 0x2e, 0xac, 0x6e, 0x14, 0x1b, 0x27, 0xef, 0xf3, 0x98, 0x48, 0xed, 0x4a]
        XCTAssertEqual(try BlobText.decode(file: random, .exactly(16)), random)
        XCTAssertEqual(try BlobText.decode(file: Array(Data(random).base64EncodedString().utf8), .exactly(16)), random)
    }

    func testErrorsSayWhatWasFound() {
        XCTAssertThrowsError(try BlobText.decode(text: "AAAA", .exactly(48))) { error in
            XCTAssertEqual("\(error)", "expected 48 bytes, the text decodes to 2 bytes as hex, 3 as base64")
        }
        XCTAssertThrowsError(try BlobText.decode(text: "wxP6tRHCFrFQWxsuqZA8QA==", .exactly(48))) { error in
            XCTAssertEqual("\(error)", "expected 48 bytes, the base64 text decodes to 16")
        }
        XCTAssertThrowsError(try BlobText.decode(file: Array(repeating: 0xff, count: 20), .exactly(16))) { error in
            XCTAssertEqual("\(error)", "expected 16 bytes (raw, base64 or hex), found 20 bytes that are neither")
        }
        XCTAssertThrowsError(try BlobText.decode(file: Array(repeating: 0x10, count: 17), LaunchSecretPacket.payloadSizes)) { error in
            XCTAssertEqual("\(error)", "expected a multiple of 16 bytes up to 16384 (raw, base64 or hex), found 17 bytes that are neither")
        }
    }

    /// Certificates: base64 text of at least the minimum is decoded, anything else is passed
    /// on raw for the certificate parser to judge.
    func testCertificatesRawOrBase64() {
        let raw: [UInt8] = [1, 0, 0, 0] + Array(repeating: 0xa5, count: 2080)
        XCTAssertEqual(BlobText.decode(certificateFile: raw, minimum: 832), raw)
        XCTAssertEqual(BlobText.decode(certificateFile: Array(Data(raw).base64EncodedString().utf8), minimum: 832), raw)
        let short = Array("not a cert".utf8)
        XCTAssertEqual(BlobText.decode(certificateFile: short, minimum: 832), short)
    }
}
