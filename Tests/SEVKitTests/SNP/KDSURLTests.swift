import SEVKit
import SEVTestSupport
import XCTest

final class KDSURLTests: XCTestCase {
    func testReportVCEKURLsInBothSPLStyles() throws {
        for vector in try SNPVectors.reports() {
            let report = try AttestationReport(bytes: try SNPVectors.reportBytes(vector["report_file"] as! String))
            let urls = KDSURL()
            XCTAssertEqual(try urls.vcek(for: report, product: .milan), vector["expected_kds_vcek_url"] as? String)
            XCTAssertEqual(try urls.vcek(for: report, product: .milan, style: .zeroPadded),
                           vector["expected_kds_vcek_url_zero_padded_style"] as? String)
        }
    }

    func testKDSURLVectors() throws {
        let vectors = try XCTUnwrap(SNPVectors.json()["kds_url_vectors"] as? [[String: Any]])
        XCTAssertEqual(vectors.count, 5)
        let urls = KDSURL()
        for v in vectors {
            if let url = v["url"] as? String {
                let expected = try XCTUnwrap(v["expected_error"] as? String)
                XCTAssertThrowsError(try urls.parse(url), url) { error in
                    // The vectors' wording (go-sev-guest) names /vcek/v1/ only; sevhost also accepts /vlek/v1/.
                    let stem = expected.replacingOccurrences(of: " (want /vcek/v1/)", with: "")
                    XCTAssertTrue("\(error)".contains(stem), "\(error) should contain \(stem)")
                }
            } else if v["hwid"] != nil {
                // "fe + 62 zero bytes + c0", TCB 0.
                let chip = [0xfe] + [UInt8](repeating: 0, count: 62) + [0xc0]
                XCTAssertEqual(try urls.vcek(product: .milan, chipID: chip, tcb: TCBVersion(raw: 0, layout: .milanGenoa)), v["expected"] as? String)
            } else {
                let product = try XCTUnwrap(AMDProduct(name: v["product"] as! String))
                let signer = try XCTUnwrap(KDSURL.Signer(rawValue: (v["signer"] as! String).lowercased()))
                let built = urls.certChain(signer, product: product)
                XCTAssertEqual(built, v["expected"] as? String)
                XCTAssertEqual(try urls.parse(built), KDSURL.Parsed(signer: .vcek, product: .milan, resource: "cert_chain"))
            }
        }
    }

    func testTurinGenoaVariantsCRLVLEKAndMirror() throws {
        let urls = KDSURL(base: "https://mirror.example/kds/")
        let turinTCB = TCBVersion(layout: .turin, fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9)
        let chip = Hex.decode("1e550a8ee5cf9f4d")! + [UInt8](repeating: 0xaa, count: 56)
        XCTAssertEqual(try urls.vcek(product: .turin, chipID: chip, tcb: turinTCB),
                       "https://mirror.example/kds/vcek/v1/Turin/1e550a8ee5cf9f4d?fmcSPL=1&blSPL=2&teeSPL=3&snpSPL=4&ucodeSPL=9")
        XCTAssertEqual(try urls.vcek(product: .turin, chipID: Array(chip.prefix(8)), tcb: turinTCB, style: .zeroPadded),
                       "https://mirror.example/kds/vcek/v1/Turin/1e550a8ee5cf9f4d?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=09")
        for variant in ["Genoa", "Bergamo", "siena"] {
            let genoa = try XCTUnwrap(AMDProduct(name: variant))
            XCTAssertTrue(try urls.vcek(product: genoa, chipID: chip, tcb: TCBVersion(raw: 0x1500000000000007, layout: .milanGenoa))
                .hasPrefix("https://mirror.example/kds/vcek/v1/Genoa/1e550a8ee5cf9f4daaaa"), variant)
        }
        XCTAssertEqual(urls.crl(.vcek, product: .genoa), "https://mirror.example/kds/vcek/v1/Genoa/crl")
        XCTAssertEqual(urls.crl(.vlek, product: .milan), "https://mirror.example/kds/vlek/v1/Milan/crl")
        XCTAssertEqual(urls.certChain(.vlek, product: .turin), "https://mirror.example/kds/vlek/v1/Turin/cert_chain")
        XCTAssertThrowsError(try urls.vcek(product: .milan, chipID: Array(chip.prefix(8)), tcb: turinTCB)) { error in
            XCTAssertEqual("\(error)", "chip id has 8 bytes; Milan needs 64")
        }
        XCTAssertThrowsError(try urls.vcek(product: .rome, chipID: chip, tcb: turinTCB)) { error in
            XCTAssertEqual("\(error)", "Rome has no SEV-SNP VCEKs")
        }
    }

    func testVCEKURLFromTurinVCEKExtensions() throws {
        // No Turin report in the pool: the URL is built from the Turin VCEK's own hwID and SPLs,
        // which is the URL KDS issued it under.
        let vcek = try SNPVectors.cert("virtee-sev/tests/certs_data/vcek_turin.der")
        let ext = try EndorsementKeyExtensions(vcek)
        let tcb = try XCTUnwrap(ext.tcb(layout: .turin))
        XCTAssertEqual(try KDSURL().vcek(product: .turin, chipID: ext.hardwareID!, tcb: tcb),
                       "https://kdsintf.amd.com/vcek/v1/Turin/1e550a8ee5cf9f4d?fmcSPL=0&blSPL=0&teeSPL=0&snpSPL=0&ucodeSPL=9")
    }
}
