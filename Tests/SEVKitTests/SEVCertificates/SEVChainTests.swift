import Crypto
import _CryptoExtras
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// Whole chains (sevctl's file formats), the root check, and decoding errors.
final class SEVChainTests: XCTestCase {
    static func platformBytes(_ product: String) throws -> [UInt8] {
        try ["pdh", "pek", "oca", "cek"].flatMap { try TestData.bytes("virtee-sev/tests/\(product)/\($0).cert") }
    }

    static func caBytes(_ product: String) throws -> [UInt8] {
        try ["ask", "ark"].flatMap { try TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/\($0).cert") }
    }

    func testFullChainsVerify() throws {
        for (product, name) in [("naples", "Naples"), ("rome", "Rome")] {
            let bytes = try Self.platformBytes(product) + Self.caBytes(product)
            let file = try SEVChainFile(bytes: bytes, name: "\(product).chain")
            XCTAssertEqual(file.encoded, bytes)
            let ca = try XCTUnwrap(file.ca)
            let result = SEVChainVerification(platform: file.platform, ca: ca)
            for link in result.links { XCTAssertEqual(link.verdict, .valid, "\(product): \(link.name)") }
            XCTAssertEqual(result.anchorProduct, name)
            XCTAssertTrue(result.isValid)
        }
    }

    /// A full chain whose ARK is the short Naples ARK as first published still verifies.
    func testFullChainEndingInTheShortNaplesARK() throws {
        let bytes = try Self.platformBytes("naples") + TestData.bytes("virtee-sev/src/certs/sev/builtin/naples/ask.cert")
            + TestData.bytes("virtee-sev/tests/naples/ark.cert.bad")
        let file = try SEVChainFile(bytes: bytes, name: "naples-short.chain")
        let ca = try XCTUnwrap(file.ca)
        XCTAssertTrue(ca.ark.signatureWasSupplied)
        XCTAssertEqual(file.encoded, try Self.platformBytes("naples") + Self.caBytes("naples"))
        XCTAssertTrue(SEVChainVerification(platform: file.platform, ca: ca).isValid)
    }

    func testPlatformOnlyChainFile() throws {
        let bytes = try Self.platformBytes("rome")
        let file = try SEVChainFile(bytes: bytes, name: "rome.chain")
        XCTAssertNil(file.ca)
        XCTAssertEqual(file.platform.encoded, bytes)
        let ca = try AMDCAChain(bytes: try Self.caBytes("rome"), name: "ask_ark_rome.cert")
        XCTAssertTrue(SEVChainVerification(platform: file.platform, ca: ca).isValid)
    }

    func testCrossProductCAChainFailsAtTheCEK() throws {
        let file = try SEVChainFile(bytes: try Self.platformBytes("rome"), name: "rome.chain")
        let milan = try AMDCAChain(bytes: try Self.caBytes("milan"), name: "milan")
        let result = SEVChainVerification(platform: file.platform, ca: milan)
        XCTAssertEqual(result.cekByASK, .invalid(reason: "the ASK signature on the CEK does not verify"))
        XCTAssertEqual(result.askByARK, .valid)
        XCTAssertFalse(result.isValid)
    }

    /// A flipped bit anywhere in a signed body or a signature breaks exactly the links over it.
    func testFlippedBitsBreakTheirLinks() throws {
        let good = try Self.platformBytes("naples") + Self.caBytes("naples")
        // (offset into the file, link that must break)
        let cases: [(Int, KeyPath<SEVChainVerification, SEVLinkVerdict>)] = [
            (0x100, \.pdhByPEK),                    // PDH public key
            (2084 + 0x414 + 8 + 3, \.pekByOCA),     // PEK signature 1 (by OCA)
            (2084 + 0x61C + 8 + 3, \.pekByCEK),     // PEK signature 2 (by CEK)
            (2 * 2084 + 0x414 + 8, \.ocaSelf),      // OCA self-signature
            (3 * 2084 + 0x20, \.cekByASK),          // CEK public key
            (4 * 2084 + 0x100, \.askByARK),         // ASK modulus
            (4 * 2084 + 832 + 0x300, \.arkSelf),    // ARK signature
        ]
        for (offset, link) in cases {
            var bytes = good
            bytes[offset] ^= 0x01
            let file = try SEVChainFile(bytes: bytes, name: "flipped")
            let result = SEVChainVerification(platform: file.platform, ca: try XCTUnwrap(file.ca))
            XCTAssertFalse(result[keyPath: link].isValid, "flip at \(offset)")
            XCTAssertFalse(result.isValid, "flip at \(offset)")
        }
    }

    func testSelfMadeRootIsNotAnAMDRoot() throws {
        // A perfectly self-consistent ARK that AMD never published must not anchor a chain.
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let primitives = try rsa.publicKey.getKeyPrimitives()
        var header = ByteWriter()
        header.write(UInt32(1))
        let id = [UInt8](repeating: 0xab, count: 16)
        header.write(bytes: id)
        header.write(bytes: id)
        header.write(UInt32(0))
        header.writeZeros(16)
        header.write(UInt32(2048))
        header.write(UInt32(2048))
        var exponent = [UInt8](primitives.publicExponent.reversed())
        exponent += [UInt8](repeating: 0, count: 256 - exponent.count)
        header.write(bytes: exponent)
        header.write(bytes: [UInt8](primitives.modulus.reversed()))
        let signature = try rsa.signature(for: SHA256.hash(data: header.bytes), padding: .PSS)
        let ark = try AMDCACertificate(bytes: header.bytes + [UInt8](signature.rawRepresentation).reversed(), name: "fake-ark")
        XCTAssertEqual(SEVCertificateVerifier.verify(ark, signedBy: ark), .valid)
        XCTAssertNil(AMDLegacyRootKeys.product(of: ark))
    }

    func testTruncatedCertificateNamesTheOffset() throws {
        let pdh = try TestData.bytes("virtee-sev/tests/rome/pdh.cert")
        XCTAssertThrowsError(try SEVPlatformCertificate(bytes: Array(pdh.prefix(1000)), name: "pdh.cert")) { error in
            XCTAssertEqual("\(error)", "pdh.cert, offset 16 (0x10): public key: expected 1028 bytes, only 984 left")
        }
        XCTAssertThrowsError(try SEVPlatformCertificate(bytes: Array(pdh.prefix(2000)), name: "pdh.cert")) { error in
            XCTAssertEqual("\(error)", "pdh.cert, offset 1572 (0x624): signature 2: expected 512 bytes, only 428 left")
        }
        var version = pdh
        version[0] = 2
        XCTAssertThrowsError(try SEVPlatformCertificate(bytes: version, name: "pdh.cert")) { error in
            XCTAssertEqual("\(error)", "pdh.cert, offset 0 (0x0): version: expected 1, found 2")
        }
        XCTAssertThrowsError(try SEVPlatformCertificate(bytes: pdh + [0], name: "pdh.cert")) { error in
            XCTAssertEqual("\(error)", "pdh.cert, offset 2084 (0x824): 1 unexpected bytes after the 2084-byte certificate")
        }
        let chain = try Self.platformBytes("rome")
        XCTAssertThrowsError(try SEVChainFile(bytes: Array(chain.prefix(5000)), name: "chain.cert")) { error in
            XCTAssertEqual("\(error)", "chain.cert, offset 4184 (0x1058): public key: expected 1028 bytes, only 816 left")
        }
        // PEK where the PDH belongs.
        XCTAssertThrowsError(try SEVChainFile(bytes: Array(chain[2084...]) + Array(chain.prefix(2084)), name: "chain.cert")) { error in
            XCTAssertEqual("\(error)", "chain.cert, certificate at offset 0: expected the PDH certificate, found key usage PEK")
        }
        XCTAssertThrowsError(try AMDCAChain(bytes: Array(try Self.caBytes("rome").suffix(1600)), name: "ca.cert")) { error in
            XCTAssertEqual("\(error)", "ca.cert, certificate at offset 0: expected the ASK certificate, found key usage ARK")
        }
    }

    func testWrongKeyType() throws {
        var pdh = try SEVPlatformCertificate(bytes: try TestData.bytes("virtee-sev/tests/rome/pdh.cert"))
        pdh.algorithm = .rsaSHA256
        XCTAssertThrowsError(try pdh.ecPublicKey()) { error in
            XCTAssertEqual("\(error)", "PDH certificate: wrong key type: expected an ECDSA or ECDH P-384 key, found algorithm RSA-SHA256")
        }
        var p256 = try TestData.bytes("virtee-sev/tests/rome/pdh.cert")
        p256[0x10] = 1
        let certificate = try SEVPlatformCertificate(bytes: p256, name: "p256.cert")
        XCTAssertThrowsError(try certificate.ecPublicKey(name: "p256.cert")) { error in
            XCTAssertEqual("\(error)", "p256.cert: wrong key type: expected an ECC P-384 key (curve id 2), found P-256 (curve id 1)")
        }
    }

    func testSummaryLines() throws {
        let pdhBytes = try TestData.bytes("virtee-sev/tests/rome/pdh.cert")
        let pdh = try SEVPlatformCertificate(bytes: pdhBytes)
        XCTAssertEqual(SEVCertificateSummary.line(for: pdh), "PDH EP384 D256 " + Hex.encode(Array(SHA256.hash(data: pdhBytes[0..<0x414]))))
        let pek = try SEVPlatformCertificate(bytes: try TestData.bytes("virtee-sev/tests/rome/pek.cert"))
        XCTAssertTrue(SEVCertificateSummary.line(for: pek).hasPrefix("PEK EP384 E256 "))
        let arkBytes = try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/ark.cert")
        let ark = try AMDCACertificate(bytes: arkBytes)
        XCTAssertEqual(SEVCertificateSummary.line(for: ark), "ARK R4096 R384 " + Hex.encode(Array(SHA384.hash(data: arkBytes[0..<1088]))))
        let naples = try AMDCACertificate(bytes: try TestData.bytes("virtee-sev/src/certs/sev/builtin/naples/ask.cert"))
        XCTAssertTrue(SEVCertificateSummary.line(for: naples).hasPrefix("ASK R2048 R256 "))
    }
}
