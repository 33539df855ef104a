import SEVKit
import SEVTestSupport
import XCTest

/// The decoding errors both SEV certificate formats share.
final class SEVCertificateIssuingTests: XCTestCase {
    /// Both formats reject a wrong version and trailing bytes in the same words.
    func testAMDCAVersionAndTrailingBytesErrors() throws {
        let ark = try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/ark.cert")
        var version = ark
        version[0] = 3
        XCTAssertThrowsError(try AMDCACertificate(bytes: version, name: "ark.cert")) { error in
            XCTAssertEqual("\(error)", "ark.cert, offset 0 (0x0): version: expected 1, found 3")
        }
        XCTAssertThrowsError(try AMDCACertificate(bytes: ark + [0, 0], name: "ark.cert")) { error in
            XCTAssertEqual("\(error)", "ark.cert, offset \(ark.count) (0x\(String(ark.count, radix: 16))): 2 unexpected bytes after the certificate")
        }
    }
}
