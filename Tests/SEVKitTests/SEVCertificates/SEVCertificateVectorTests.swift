import Crypto
import _CryptoExtras
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// Every case of `sev-cert-vectors.json`: headers, round trips and the verification matrix.
final class SEVCertificateVectorTests: XCTestCase {
    private func vectors() throws -> [String: Any] {
        try XCTUnwrap(TestData.json("sev-cert-vectors.json") as? [String: Any])
    }

    /// CA-format certificates live under `builtin/`, everything else is platform format.
    private enum AnyCertificate {
        case ca(AMDCACertificate)
        case platform(SEVPlatformCertificate)
    }

    private func load(_ path: String) throws -> AnyCertificate {
        let bytes = try TestData.bytes(path)
        if path.contains("/builtin/") { return .ca(try AMDCACertificate(bytes: bytes, name: path)) }
        return .platform(try SEVPlatformCertificate(bytes: bytes, name: path))
    }

    private func verify(subject: AnyCertificate, signer: AnyCertificate) -> SEVLinkVerdict {
        switch (subject, signer) {
        case (.ca(let s), .ca(let k)): SEVCertificateVerifier.verify(s, signedBy: k)
        case (.platform(let s), .ca(let k)): SEVCertificateVerifier.verify(s, signedBy: k)
        case (.platform(let s), .platform(let k)): SEVCertificateVerifier.verify(s, signedBy: k)
        case (.ca, .platform): .invalid(reason: "a platform key never signs a CA certificate")
        }
    }

    func testBuiltinCACertificatesDecodeAndRoundTrip() throws {
        let entries = try XCTUnwrap(vectors()["builtin_ca_certs"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 10)
        for entry in entries {
            let path = try XCTUnwrap(entry["file"] as? String)
            let bytes = try TestData.bytes(path)
            XCTAssertEqual(bytes.count, entry["size"] as? Int, path)
            XCTAssertEqual(Hex.encode(Array(SHA256.hash(data: bytes))), entry["sha256"] as? String, path)
            let certificate = try AMDCACertificate(bytes: bytes, name: path)
            XCTAssertEqual(certificate.encoded, bytes, "round trip \(path)")
            XCTAssertFalse(certificate.signatureWasSupplied, path)
            XCTAssertEqual(certificate.version, UInt32(entry["version"] as! Int), path)
            XCTAssertEqual(Hex.encode(certificate.keyID), entry["key_id"] as? String, path)
            XCTAssertEqual(Hex.encode(certificate.certifyingID), entry["certifying_id"] as? String, path)
            let usage = try XCTUnwrap(entry["key_usage"] as? String)
            XCTAssertEqual(usage, certificate.usage == .ark ? "ARK (0x0)" : "ASK (0x13)", path)
            XCTAssertEqual(Int(certificate.publicExponentBits), entry["pubexp_size_bits"] as? Int, path)
            XCTAssertEqual(Int(certificate.modulusBits), entry["modulus_size_bits"] as? Int, path)
            let exponent = certificate.publicExponent.reversed().drop(while: { $0 == 0 })
            XCTAssertEqual("0x" + String(Hex.encode(exponent).drop(while: { $0 == "0" })), entry["pubexp"] as? String, path)
            XCTAssertEqual(Hex.encode(Array(SHA256.hash(data: certificate.modulus))), entry["modulus_sha256_of_LE_bytes"] as? String, path)
            XCTAssertEqual(AMDLegacyRootKeys.product(of: certificate)?.lowercased(),
                           certificate.usage == .ark ? entry["product"] as? String : nil, path)
        }
    }

    func testPlatformCertificatesDecodeAndRoundTrip() throws {
        let chains = try XCTUnwrap(vectors()["platform_chains"] as? [String: [[String: Any]]])
        XCTAssertEqual(Set(chains.keys), ["naples", "rome"])
        let usageNames: [UInt32: String] = [0x1000: "INVALID", 0x1001: "OCA", 0x1002: "PEK", 0x1003: "PDH", 0x1004: "CEK", 0x13: "ASK", 0: "ARK"]
        for (_, entries) in chains {
            for entry in entries {
                let path = try XCTUnwrap(entry["file"] as? String)
                let bytes = try TestData.bytes(path)
                XCTAssertEqual(bytes.count, 2084)
                let certificate = try SEVPlatformCertificate(bytes: bytes, name: path)
                XCTAssertEqual(certificate.encoded, bytes, "round trip \(path)")
                XCTAssertEqual("\(certificate.apiMajor).\(certificate.apiMinor)", entry["api_version"] as? String, path)
                XCTAssertEqual("\(certificate.usage) (0x\(String(certificate.usage.rawValue, radix: 16)))", entry["pub_key_usage"] as? String, path)
                XCTAssertEqual("\(certificate.algorithm) (0x\(String(certificate.algorithm.rawValue, radix: 16)))", entry["pub_key_algo"] as? String, path)
                XCTAssertEqual(try certificate.ecPublicKey().curve, SEVECPublicKey.curveP384, path)
                for (index, key) in ["sig1", "sig2"].enumerated() {
                    let slot = certificate.signatures[index]
                    let algorithm = slot.algorithm == .none ? "INVALID" : slot.algorithm.description
                    XCTAssertEqual("\(usageNames[slot.usage.rawValue] ?? "?") / \(algorithm)", entry[key] as? String, "\(path) \(key)")
                }
            }
        }
    }

    func testVerificationMatrix() throws {
        let edges = try XCTUnwrap(vectors()["verification_edges"] as? [[String: Any]])
        XCTAssertEqual(edges.count, 35)
        var valid = 0, invalid = 0
        for edge in edges {
            let signerPath = try XCTUnwrap(edge["signer"] as? String)
            let subjectPath = try XCTUnwrap(edge["subject"] as? String)
            let expected = try XCTUnwrap(edge["expected"] as? String)
            let verdict = verify(subject: try load(subjectPath), signer: try load(signerPath))
            if expected.hasPrefix("valid") {
                XCTAssertEqual(verdict, .valid, "\(signerPath) -> \(subjectPath)")
                valid += 1
            } else {
                XCTAssertTrue(expected.hasPrefix("must FAIL"), expected)
                XCTAssertFalse(verdict.isValid, "\(signerPath) -> \(subjectPath) must fail")
                invalid += 1
            }
        }
        XCTAssertEqual(valid, 20)
        XCTAssertEqual(invalid, 15)
    }

    func testNaplesARKWithSeparatelyPublishedSignature() throws {
        let bad = try TestData.bytes("virtee-sev/tests/naples/ark.cert.bad")
        let signature = try TestData.bytes("virtee-sev/tests/naples/ark.cert.sig")
        let complete = try TestData.bytes("virtee-sev/src/certs/sev/builtin/naples/ark.cert")
        XCTAssertEqual(bad.count, 576)
        XCTAssertEqual(bad + signature, complete)

        let decoded = try AMDCACertificate(bytes: bad, name: "ark.cert.bad")
        XCTAssertTrue(decoded.signatureWasSupplied)
        XCTAssertEqual(decoded, try AMDCACertificate(bytes: complete))
        XCTAssertEqual(decoded.encoded, complete)
        XCTAssertEqual(SEVCertificateVerifier.verify(decoded, signedBy: decoded), .valid)
        XCTAssertEqual(AMDLegacyRootKeys.product(of: decoded), "Naples")

        // Only that exact truncation of that exact ARK is completed.
        XCTAssertThrowsError(try AMDCACertificate(bytes: Array(bad.dropLast()), name: "short.cert")) { error in
            XCTAssertEqual("\(error)", "short.cert, offset 320 (0x140): modulus: expected 256 bytes, only 255 left")
        }
        let rome = try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/ark.cert")
        XCTAssertThrowsError(try AMDCACertificate(bytes: Array(rome.prefix(1088)), name: "rome-ark")) { error in
            XCTAssertEqual("\(error)", "rome-ark, offset 1088 (0x440): signature: expected 512 bytes, only 0 left")
        }
        var otherUsage = bad
        otherUsage[0x24] = 0x13
        XCTAssertThrowsError(try AMDCACertificate(bytes: otherUsage, name: "ask-shaped")) { error in
            XCTAssertEqual("\(error)", "ask-shaped, offset 576 (0x240): signature: expected 256 bytes, only 0 left")
        }
    }

    func testPDHCertExportBlob() throws {
        let blob = try TestData.bytes("virtee-sev/history/62279aec/src/certs/sev/naples/pek_oca_cek.cert")
        XCTAssertEqual(blob.count, 6252)
        var reader = ByteReader(blob, context: "pek_oca_cek.cert")
        let pek = try SEVPlatformCertificate(reader: &reader)
        let oca = try SEVPlatformCertificate(reader: &reader)
        let cek = try SEVPlatformCertificate(reader: &reader)
        XCTAssertEqual(reader.remaining, 0)
        XCTAssertEqual(pek.encoded + oca.encoded + cek.encoded, blob)
        XCTAssertEqual([pek.usage, oca.usage, cek.usage], [.pek, .oca, .cek])
        XCTAssertEqual("\(pek.apiMajor).\(pek.apiMinor)", "0.17")
        let pdh = try SEVPlatformCertificate(bytes: try TestData.bytes("virtee-sev/history/62279aec/src/certs/sev/naples/pdh.cert"))

        XCTAssertEqual(SEVCertificateVerifier.verify(pek, signedBy: oca), .valid)
        XCTAssertEqual(SEVCertificateVerifier.verify(pek, signedBy: cek), .valid)
        XCTAssertEqual(SEVCertificateVerifier.verify(oca, signedBy: oca), .valid)
        XCTAssertEqual(SEVCertificateVerifier.verify(pdh, signedBy: pek), .valid)
        XCTAssertTrue(cek.signatures.allSatisfy(\.isEmpty))
        XCTAssertEqual(cek.signatures.map(\.usage), [.invalid, .invalid])
        let ask = try AMDCACertificate(bytes: try TestData.bytes("virtee-sev/src/certs/sev/builtin/naples/ask.cert"))
        XCTAssertEqual(
            SEVCertificateVerifier.verify(cek, signedBy: ask),
            .invalid(reason: "the CEK carries no ASK signature (RSA-SHA256)"))
    }

    func testSevToolSelfSignedOCAAndItsKey() throws {
        let oca = try SEVPlatformCertificate(bytes: try TestData.bytes("AMDESE-sev-tool/history/3838bf8a/psp-sev-assets/oca.cert"))
        XCTAssertEqual(oca.usage, .oca)
        XCTAssertEqual("\(oca.apiMajor).\(oca.apiMinor)", "0.14")
        XCTAssertEqual(SEVCertificateVerifier.verify(oca, signedBy: oca), .valid)
        let pem = String(decoding: try TestData.bytes("AMDESE-sev-tool/history/3838bf8a/psp-sev-assets/oca_key.pem"), as: UTF8.self)
        let key = try P384.Signing.PrivateKey(pemRepresentation: pem)
        XCTAssertEqual(try oca.ecPublicKey().x963Representation, [UInt8](key.publicKey.x963Representation))
    }

    func testSEVFormatKeysEqualX509Keys() throws {
        // special case sev_format_vs_x509_keys: the same RSA key in both formats (milan, genoa, turin).
        for product in ["milan", "genoa", "turin"] {
            for name in ["ark", "ask"] {
                let legacy = try AMDCACertificate(bytes: try TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/\(name).cert"))
                let pem = String(decoding: try TestData.bytes("virtee-sev/src/certs/snp/builtin/\(product)/\(name).pem"), as: UTF8.self)
                let der = try XCTUnwrap(Self.pemBody(pem))
                // The modulus appears big-endian inside the X.509 SubjectPublicKeyInfo.
                let modulus = Array(legacy.modulus.reversed())
                XCTAssertNotNil(Self.find(modulus, in: der), "\(product) \(name)")
            }
        }
    }

    static func pemBody(_ pem: String) -> [UInt8]? {
        let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Data(base64Encoded: base64).map { [UInt8]($0) }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
