import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// The fuzzer's first find (fuzz/crashes/x509): a certificate whose RSA key is well-formed DER
/// but not a key BoringSSL takes made swift-crypto free its key twice, corrupting the heap
/// (found as an abort in BoringSSL's reference count after 14,000 inputs). RSA keys are now
/// built from their numbers: such a certificate is refused, in one line, as often as it comes.
final class RSAKeyRegressionTests: XCTestCase {
    func testTheCrashingCertificateIsRefusedEveryTime() throws {
        let directory = PackageRoot.url.appendingPathComponent("fuzz/crashes/x509")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertFalse(inputs.isEmpty)
        for name in inputs {
            let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
            // Once would corrupt the heap silently; hundreds of times made it abort.
            for _ in 0..<500 {
                XCTAssertThrowsError(try SNPCertificate.decodeAll(bytes)) { error in
                    XCTAssertFalse("\(error)".contains("\n"))
                }
            }
        }
    }

    /// An ARK with its public exponent made even (65536): refused as a key, not a crash.
    func testAnRSAKeyBoringSSLRefusesIsRefusedAsAKey() throws {
        var der = try SNPCertificate.decodeAll(try TestData.bytes("virtee-sev/src/certs/snp/builtin/milan/ark.pem"))[0].der
        // The exponent 65537 is encoded 02 03 01 00 01 at the end of the RSAPublicKey.
        let exponent: [UInt8] = [0x02, 0x03, 0x01, 0x00, 0x01]
        let at = try XCTUnwrap((0...(der.count - exponent.count)).first { Array(der[$0..<$0 + exponent.count]) == exponent })
        der[at + 4] = 0x00
        for _ in 0..<500 {
            XCTAssertThrowsError(try SNPCertificate(derEncoded: der)) { error in
                XCTAssertEqual("\(error)", "the RSA public key is not usable (4096-bit modulus)")
            }
        }
    }
}
