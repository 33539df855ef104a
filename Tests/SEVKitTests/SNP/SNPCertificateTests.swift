import Crypto
import _CryptoExtras
import Foundation
import SEVKit
import SEVTestSupport
import XCTest

final class SNPCertificateTests: XCTestCase {
    /// Every VCEK vector: names, serial 0, validity, AMD extensions.
    func testEndorsementCertificatesDecodeAsTheVectorsSay() throws {
        let vectors = try SNPVectors.endorsementCerts()
        XCTAssertEqual(vectors.count, 4)
        for v in vectors {
            let file = v["file"] as! String
            let cert = try SNPVectors.cert(file)
            XCTAssertEqual(cert.serialHex, v["serial"] as? String, file)
            XCTAssertEqual(cert.commonName, "SEV-VCEK", file)
            XCTAssertEqual(Hex.encode(Array(SHA256.hash(data: cert.der))), v["sha256"] as? String, file)
            XCTAssertEqual(cert.notBefore, try SNPVectors.date(v["not_before"] as! String), file)
            XCTAssertEqual(cert.notAfter, try SNPVectors.date(v["not_after"] as! String), file)
            let issuerCN = (v["issuer"] as! String).split(separator: ",").first!.dropFirst(3)
            XCTAssertTrue("\(cert.issuer)".contains("CN=\(issuerCN)"), "\(file): \(cert.issuer)")
            XCTAssertEqual(cert.signatureAlgorithm, .rsassaPSS(hash: .sha384, saltLength: 48), file)
            XCTAssertNotNil(P384.Signing.PublicKey(cert.publicKey), file)

            let ext = try EndorsementKeyExtensions(cert)
            let expected = try XCTUnwrap(v["amd_extensions"] as? [String: Any])
            XCTAssertEqual(ext.structVersion, expected["structVersion"] as? Int, file)
            XCTAssertEqual(ext.productName, expected["productName1"] as? String, file)
            XCTAssertEqual(ext.bootloaderSPL.map(Int.init), expected["blSPL"] as? Int, file)
            XCTAssertEqual(ext.teeSPL.map(Int.init), expected["teeSPL"] as? Int, file)
            XCTAssertEqual(ext.snpSPL.map(Int.init), expected["snpSPL"] as? Int, file)
            XCTAssertEqual(ext.microcodeSPL.map(Int.init), expected["ucodeSPL"] as? Int, file)
            XCTAssertEqual(ext.fmcSPL.map(Int.init), expected["fmcSPL"] as? Int, file)
            for n in 4...7 {
                XCTAssertEqual(ext.reservedSPLs[n].map(Int.init), expected["spl_\(n)"] as? Int, "\(file) spl_\(n)")
            }
            XCTAssertEqual(ext.hardwareID.map { Hex.encode($0) }, expected["hwID"] as? String, file)
            XCTAssertNil(ext.cspID, file)
        }
    }

    func testTurinVCEKHasFMCAnd8ByteChipIDAndChainsToTurin() throws {
        let vcek = try SNPVectors.cert("virtee-sev/tests/certs_data/vcek_turin.der")
        let ext = try EndorsementKeyExtensions(vcek)
        XCTAssertEqual(ext.hardwareID?.count, 8)
        XCTAssertEqual(ext.tcb(layout: .turin)?.raw, 0x0900000000000000)
        XCTAssertEqual(ext.fmcSPL, 0)
        XCTAssertEqual(ext.structVersion, 1)
        let chain = try SNPCertificateChain(sorting: SNPVectors.certs("virtee-sev/tests/certs_data/cert_chain_turin") + [vcek])
        let checks = chain.verify(at: SNPVectors.poolTime)
        XCTAssertEqual(checks.failures, [])
        XCTAssertEqual(chain.product, .turin)
        XCTAssertEqual(checks.map(\.name), [
            "ark-pinned", "ark-self-signed", "ask-signed-by-ark", "vcek-signed-by-ask", "intermediate-role",
            "ark-validity", "ask-validity", "vcek-validity",
        ])
    }

    /// The pinned fingerprints equal the keys of the pool's ARKs: X.509 for Milan/Genoa/Turin,
    /// and (all five) the legacy SEV-format ARK's RSA key as an rsaEncryption SPKI.
    func testTrustAnchorsEqualThePoolARKs() throws {
        for product in ["milan", "genoa", "turin"] {
            let ark = try XCTUnwrap(SNPVectors.certs("virtee-sev/src/certs/snp/builtin/\(product)/ark.pem").first)
            XCTAssertEqual(SNPTrustAnchors.product(of: ark)?.rawValue.lowercased(), product)
            XCTAssertEqual(Hex.encode(ark.publicKeyFingerprint), SNPTrustAnchors.arkFingerprints[AMDProduct(name: product)!])
        }
        for product in AMDProduct.allCases {
            let legacy = try TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product.rawValue.lowercased())/ark.cert")
            // Legacy AMD CA cert: exponent and modulus sizes (bits) at 0x38, then both LE.
            let expBits = Int(UInt32(littleEndianBytes: legacy[0x38..<0x3c]))
            let modBits = Int(UInt32(littleEndianBytes: legacy[0x3c..<0x40]))
            let e = Array(legacy[0x40..<(0x40 + expBits / 8)].reversed())
            let n = Array(legacy[(0x40 + expBits / 8)..<(0x40 + expBits / 8 + modBits / 8)].reversed())
            let key = try _RSA.Signing.PublicKey(n: n, e: e)
            XCTAssertEqual(Hex.encode(Array(SHA256.hash(data: key.derRepresentation))), SNPTrustAnchors.arkFingerprints[product], product.rawValue)
        }
    }

    /// Every CA bundle: ARK self-signed, ASK and ASVK signed by it, ARK not verifiable with the
    /// ASK, builtin ARK identical to the KDS one, CNs as expected.
    func testEveryCAChainVector() throws {
        let chains = try SNPVectors.caChains()
        XCTAssertEqual(chains.count, 3)
        for c in chains {
            let product = try XCTUnwrap(AMDProduct(name: c["product"] as! String))
            let files = try XCTUnwrap(c["files"] as? [String: String])
            let builtinARK = try XCTUnwrap(SNPVectors.certs(files["builtin_ark"]!).first)
            let builtinASK = try XCTUnwrap(SNPVectors.certs(files["builtin_ask"]!).first)
            let kds = try SNPVectors.certs(files["kds_cert_chain"]!)
            XCTAssertEqual(kds.map(\.commonName), ["SEV-\(product.rawValue)", "ARK-\(product.rawValue)"])
            XCTAssertEqual(kds[1], builtinARK)
            XCTAssertEqual(kds[0], builtinASK)
            let vlek = try SNPVectors.certs(files["vlek_chain"]!)
            XCTAssertEqual(vlek.map(\.commonName), ["SEV-VLEK-\(product.rawValue)", "ARK-\(product.rawValue)"])
            let bundle = try SNPVectors.certs(files["ask_ark_asvk"]!)
            XCTAssertEqual(bundle.map(\.commonName), ["SEV-\(product.rawValue)", "ARK-\(product.rawValue)", "SEV-VLEK-\(product.rawValue)"])
            XCTAssertEqual(bundle[2], vlek[0])

            let ark = builtinARK
            XCTAssertTrue(ark.isSigned(by: ark), product.rawValue)
            XCTAssertTrue(builtinASK.isSigned(by: ark), product.rawValue)
            XCTAssertTrue(vlek[0].isSigned(by: ark), product.rawValue)
            XCTAssertFalse(ark.isSigned(by: builtinASK), product.rawValue)
            XCTAssertFalse(builtinASK.isSigned(by: builtinASK), product.rawValue)
            XCTAssertEqual(ark.signatureAlgorithm, .rsassaPSS(hash: .sha384, saltLength: 48))
            XCTAssertEqual(SNPTrustAnchors.product(of: ark), product)

            let asvkChain = try SNPCertificateChain(sorting: vlek)
            XCTAssertEqual(asvkChain.verify(at: SNPVectors.poolTime).failures, [], product.rawValue)
            XCTAssertEqual(asvkChain.verify(at: SNPVectors.poolTime).map(\.name),
                           ["ark-pinned", "ark-self-signed", "asvk-signed-by-ark", "ark-validity", "asvk-validity"])
        }
        // Serial numbers stated in the vectors' notes.
        let milan = try SNPVectors.certs("confidential-containers-trustee/deps/verifier/src/snp/milan_ask_ark_asvk.pem")
        XCTAssertEqual(milan.map(\.serialHex), ["0x10001", "0x10000", "0x10101"])
    }

    func testEveryReportChainVerifiesAtPoolTime() throws {
        for vector in try SNPVectors.reports() {
            let chain = try SNPVectors.chain(for: vector)
            XCTAssertEqual(chain.endorsementKind, .vcek)
            XCTAssertEqual(chain.verify(at: SNPVectors.poolTime).failures, [], vector["id"] as! String)
        }
    }

    /// virtee milan_chain_invalid: VCEK byte 40 ^= 0xff still parses but breaks the chain;
    /// trustee check_vcek_signature_failure: byte 42 += 1 the same. Both land in the signed
    /// copy of the signature algorithm (the SHA-384 OID; the expected OIDs were read back with
    /// `openssl asn1parse` from the tampered files).
    func testTamperedVCEKParsesButBreaksTheChain() throws {
        let cases: [(String, Int, (UInt8) -> UInt8, String)] = [
            ("virtee-sev/tests/certs_data/vcek_milan.der", 40, { $0 ^ 0xff }, "unsupported (tbsCertificate.signature unsupported (RSASSA-PSS hash 2.16.840.16229.3.4.2.2) differs from signatureAlgorithm)"),
            ("confidential-containers-trustee/deps/verifier/test_data/snp/test-vcek.der", 42, { $0 &+ 1 }, "unsupported (tbsCertificate.signature unsupported (RSASSA-PSS hash 2.16.840.1.101.4.4.2.2) differs from signatureAlgorithm)"),
        ]
        let milan = try SNPVectors.certs("virtee-sev/tests/certs_data/cert_chain_milan")
        for (file, offset, change, algorithm) in cases {
            var der = try TestData.bytes(file)
            der[offset] = change(der[offset])
            let cert = try SNPCertificate(derEncoded: der)
            XCTAssertEqual("\(cert.signatureAlgorithm)", algorithm, file)
            let checks = try SNPCertificateChain(sorting: milan + [cert]).verify(at: SNPVectors.poolTime)
            XCTAssertEqual(checks.failures.map(\.name), ["vcek-signed-by-ask"], file)
        }
    }

    /// trustee check_milan_chain_signature_failure: a VCEK under the ASVK must fail.
    func testVCEKUnderASVKFails() throws {
        let bundle = try SNPVectors.certs("google-go-sev-guest/verify/trust/ask_ark_milan_vlek.pem")
        let vcek = try SNPVectors.cert("confidential-containers-trustee/deps/verifier/test_data/snp/test-vcek.der")
        let chain = SNPCertificateChain(ark: bundle[1], intermediate: bundle[0], endorsementKey: vcek)
        let failures = chain.verify(at: SNPVectors.poolTime).failures.map(\.name)
        XCTAssertEqual(failures, ["vcek-signed-by-asvk", "intermediate-role"])
    }

    /// trustee check_vcek_parsing_legacy / _new: hwID raw or DER-wrapped, both 00..3f.
    func testInvalidTrusteeVCEKsParseButDoNotVerify() throws {
        let milan = try SNPVectors.certs("virtee-sev/tests/certs_data/cert_chain_milan")
        let expected: [(String, [Int])] = [
            ("confidential-containers-trustee/deps/verifier/test_data/snp/test-vcek-invalid-legacy.der", [3, 0, 10, 169]),
            ("confidential-containers-trustee/deps/verifier/test_data/snp/test-vcek-invalid-new.der", [0, 0, 0, 30]),
        ]
        for (file, spl) in expected {
            let cert = try SNPVectors.cert(file)
            let ext = try EndorsementKeyExtensions(cert)
            XCTAssertEqual(ext.hardwareID, Array(0..<64), file)
            XCTAssertEqual([ext.bootloaderSPL, ext.teeSPL, ext.snpSPL, ext.microcodeSPL].map { Int($0!) }, spl, file)
            XCTAssertFalse(cert.isSigned(by: milan[0]), file)
        }
    }

    /// Validity with an injected clock (go-sev-guest checks vcek.testcer at 2022-09-24T01:00Z).
    func testValidityFollowsTheInjectedClock() throws {
        let vcek = try SNPVectors.cert("google-go-sev-guest/verify/testdata/vcek.testcer")
        let chain = try SNPCertificateChain(sorting: SNPVectors.certs("google-go-sev-guest/verify/trust/ask_ark_milan.pem") + [vcek])
        let goTime = try XCTUnwrap(ISO8601DateFormatter().date(from: "2022-09-24T01:00:00Z"))
        XCTAssertEqual(chain.verify(at: goTime).failures, [])
        let before = try XCTUnwrap(ISO8601DateFormatter().date(from: "2022-09-24T00:55:27Z"))
        XCTAssertEqual(chain.verify(at: before).failures.map(\.name), ["vcek-validity"])
        let after = try XCTUnwrap(ISO8601DateFormatter().date(from: "2029-09-24T00:55:29Z"))
        XCTAssertEqual(chain.verify(at: after).failures.map(\.name), ["vcek-validity"])
        let afterARK = try XCTUnwrap(ISO8601DateFormatter().date(from: "2046-01-01T00:00:00Z"))
        XCTAssertEqual(chain.verify(at: afterARK).failures.map(\.name), ["ark-validity", "ask-validity", "vcek-validity"])
    }

    func testUnpinnedRootIsRefusedEvenWhenSelfConsistent() throws {
        // A genuine chain whose ARK bytes are re-signed is impossible without AMD's key, so the
        // pin is tested by presenting the ASK as the "root": it is not self-signed and not pinned.
        let milan = try SNPVectors.certs("virtee-sev/tests/certs_data/cert_chain_milan")
        let chain = SNPCertificateChain(ark: milan[0], intermediate: milan[0])
        let failures = chain.verify(at: SNPVectors.poolTime).failures.map(\.name)
        XCTAssertEqual(failures, ["ark-pinned", "ark-self-signed", "ask-signed-by-ark"])
    }

    func testMalformedCertificatesAreNamed() {
        XCTAssertThrowsError(try SNPCertificate(derEncoded: [0x30, 0x03, 0x02, 0x01, 0x00])) { error in
            XCTAssertTrue("\(error)".hasPrefix("malformed X.509 certificate") || "\(error)".contains("missing"), "\(error)")
        }
        XCTAssertThrowsError(try SNPCertificate.decodeAll(Array("-----BEGIN CERTIFICATE-----\nAAAA".utf8))) { error in
            XCTAssertEqual("\(error)", "PEM block 1 has no END line")
        }
    }
}

