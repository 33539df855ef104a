import SEVKit
import SEVTestSupport
import XCTest

final class AttestationReportTests: XCTestCase {
    /// Every field of every report vector, as the pool's independent check decoded them.
    func testEveryReportVectorDecodesToTheExpectedFields() throws {
        let vectors = try SNPVectors.reports()
        XCTAssertEqual(vectors.count, 3)
        for vector in vectors {
            let id = vector["id"] as! String
            let bytes = try SNPVectors.reportBytes(vector["report_file"] as! String)
            let r = try AttestationReport(bytes: bytes, product: .milan)
            let e = try XCTUnwrap(vector["expected_fields"] as? [String: Any])
            func hex(_ key: String) -> String { e[key] as! String }
            func int(_ key: String) -> Int { e[key] as! Int }
            XCTAssertEqual(Int(r.version), int("version"), id)
            XCTAssertEqual(Int(r.guestSVN), int("guest_svn"), id)
            XCTAssertEqual("0x" + String(r.policy, radix: 16), hex("policy"), id)
            XCTAssertEqual(Hex.encode(r.familyID), hex("family_id"), id)
            XCTAssertEqual(Hex.encode(r.imageID), hex("image_id"), id)
            XCTAssertEqual(Int(r.vmpl), int("vmpl"), id)
            XCTAssertEqual(Int(r.signatureAlgorithm), int("signature_algo"), id)
            XCTAssertEqual("0x" + String(r.platformInfo.raw, radix: 16), hex("platform_info"), id)
            XCTAssertEqual(Hex.encode(r.reportData), hex("report_data"), id)
            XCTAssertEqual(Hex.encode(r.measurement), hex("measurement"), id)
            XCTAssertEqual(Hex.encode(r.hostData), hex("host_data"), id)
            XCTAssertEqual(Hex.encode(r.idKeyDigest), hex("id_key_digest"), id)
            XCTAssertEqual(Hex.encode(r.authorKeyDigest), hex("author_key_digest"), id)
            XCTAssertEqual(Hex.encode(r.reportID), hex("report_id"), id)
            XCTAssertEqual(Hex.encode(r.reportIDMA), hex("report_id_ma"), id)
            XCTAssertEqual(Hex.encode(r.chipID), hex("chip_id"), id)
            for (key, tcb) in [("current_tcb", r.currentTCB), ("reported_tcb", r.reportedTCB),
                               ("committed_tcb", r.committedTCB), ("launch_tcb", r.launchTCB)] {
                let t = try XCTUnwrap(e[key] as? [String: Any])
                XCTAssertEqual(tcb.hex, t["raw"] as? String, "\(id) \(key)")
                XCTAssertEqual(Int(tcb.bootloader), t["bootloader"] as? Int, "\(id) \(key)")
                XCTAssertEqual(Int(tcb.tee), t["tee"] as? Int, "\(id) \(key)")
                XCTAssertEqual(Int(tcb.snp), t["snp"] as? Int, "\(id) \(key)")
                XCTAssertEqual(Int(tcb.microcode), t["microcode"] as? Int, "\(id) \(key)")
                XCTAssertNil(tcb.fmc)
            }
            XCTAssertEqual(Int(r.currentBuild), int("current_build"), id)
            XCTAssertEqual(Int(r.currentMinor), int("current_minor"), id)
            XCTAssertEqual(Int(r.currentMajor), int("current_major"), id)
            XCTAssertEqual(Int(r.committedBuild), int("committed_build"), id)
            XCTAssertEqual(Int(r.committedMinor), int("committed_minor"), id)
            XCTAssertEqual(Int(r.committedMajor), int("committed_major"), id)
            XCTAssertEqual(Hex.encode(r.signature.r), hex("sig_r"), id)
            XCTAssertEqual(Hex.encode(r.signature.s), hex("sig_s"), id)
            let k = try XCTUnwrap(e["key_info_0x48"] as? [String: Any])
            XCTAssertEqual("0x" + String(r.keyInfo.raw, radix: 16), k["raw"] as? String, id)
            XCTAssertEqual(r.keyInfo.authorKeyEnabled ? 1 : 0, k["author_key_en"] as? Int, id)
            XCTAssertEqual(r.keyInfo.maskChipKey ? 1 : 0, k["mask_chip_key"] as? Int, id)
            XCTAssertEqual(r.keyInfo.signingKey, .vcek, id)
            XCTAssertNil(r.cpuidFamily, id)
            XCTAssertNil(r.launchMitigationVector, id)
        }
    }

    /// Version 3 adds CPUID family/model/stepping at 0x188; version 5 adds the mitigation
    /// vectors at 0x1F8/0x200. No such report is in the pool, so a v2 report is rewritten.
    func testVersion3And5FieldsAreDecodedAtTheirOffsets() throws {
        var bytes = try SNPVectors.reportBytes("google-go-sev-guest/verify/testdata/attestation.bin")
        bytes[0] = 3
        bytes[0x188] = 0x1a; bytes[0x189] = 0x02; bytes[0x18a] = 0x01
        // A Turin TCB: fmc 1, bl 2, tee 3, snp 4, ucode 5.
        let turinTCB: [UInt8] = [1, 2, 3, 4, 0, 0, 0, 5]
        bytes.replaceSubrange(0x180..<0x188, with: turinTCB)
        let v3 = try AttestationReport(bytes: bytes)
        XCTAssertEqual(v3.version, 3)
        XCTAssertEqual(v3.cpuidFamily, 0x1a)
        XCTAssertEqual(v3.cpuidModel, 0x02)
        XCTAssertEqual(v3.cpuidStepping, 0x01)
        XCTAssertEqual(v3.inferredProduct, .turin)
        XCTAssertEqual(v3.reportedTCB.layout, .turin)
        XCTAssertEqual(v3.reportedTCB.fmc, 1)
        XCTAssertEqual(v3.reportedTCB.bootloader, 2)
        XCTAssertEqual(v3.reportedTCB.tee, 3)
        XCTAssertEqual(v3.reportedTCB.snp, 4)
        XCTAssertEqual(v3.reportedTCB.microcode, 5)
        XCTAssertNil(v3.launchMitigationVector)

        bytes[0] = 5
        bytes.replaceSubrange(0x1f8..<0x200, with: UInt64(0x1122334455667788).littleEndianBytes)
        bytes.replaceSubrange(0x200..<0x208, with: UInt64(0x0102).littleEndianBytes)
        let v5 = try AttestationReport(bytes: bytes)
        XCTAssertEqual(v5.version, 5)
        XCTAssertEqual(v5.launchMitigationVector, 0x1122334455667788)
        XCTAssertEqual(v5.currentMitigationVector, 0x0102)
        XCTAssertEqual(v5.cpuidFamily, 0x1a)
        let names = v5.fields.map(\.0)
        XCTAssertTrue(names.contains("launch_mit_vector") && names.contains("cpuid_fam_id"))
        XCTAssertFalse(try AttestationReport(bytes: try SNPVectors.reportBytes("google-go-sev-guest/verify/testdata/attestation.bin"))
            .fields.map(\.0).contains("cpuid_fam_id"))

        // Genoa model 0x11 keeps the Milan/Genoa TCB layout.
        bytes[0x188] = 0x19; bytes[0x189] = 0x11
        XCTAssertEqual(try AttestationReport(bytes: bytes).inferredProduct, .genoa)
        XCTAssertEqual(try AttestationReport(bytes: bytes).reportedTCB.layout, .milanGenoa)
    }

    func testBadSizeAndVersionAreNamedWithTheirOffset() throws {
        let bytes = try SNPVectors.reportBytes("google-go-sev-guest/verify/testdata/attestation.bin")
        XCTAssertThrowsError(try AttestationReport(bytes: Array(bytes.prefix(1000)))) { error in
            XCTAssertEqual("\(error)", "attestation report, offset 1000 (0x3e8): expected 1184 bytes, got 1000")
        }
        var v1 = bytes
        v1[0] = 1
        XCTAssertThrowsError(try AttestationReport(bytes: v1)) { error in
            XCTAssertEqual("\(error)", "attestation report, offset 0 (0x0): VERSION: expected 2, 3 or 5 (ABI 56860), found 1")
        }
    }

    func testDisplayNamesEveryFieldInLayoutOrder() throws {
        let r = try AttestationReport(bytes: try SNPVectors.reportBytes("virtee-sev/tests/certs_data/report_milan.hex"))
        XCTAssertEqual(r.fields.map(\.0), [
            "version", "guest_svn", "policy", "family_id", "image_id", "vmpl", "signature_algo", "current_tcb",
            "platform_info", "key_info", "report_data", "measurement", "host_data", "id_key_digest",
            "author_key_digest", "report_id", "report_id_ma", "reported_tcb", "chip_id", "committed_tcb",
            "current_build", "current_minor", "current_major", "committed_build", "committed_minor",
            "committed_major", "launch_tcb", "signature",
        ])
        XCTAssertTrue(r.textLines.contains("reported_tcb.raw: 0x7308000000000003"))
        XCTAssertTrue(r.textLines.contains("policy.debug: false"))
        XCTAssertTrue(r.textLines.contains("measurement: 7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f"))
    }

    func testProductFromCPUIDMatchesTheVectorTable() throws {
        let table = try XCTUnwrap(SNPVectors.json()["cpuid_to_product"] as? [String: Any])
        let vectors = try XCTUnwrap(table["vectors"] as? [[String: Any]])
        XCTAssertEqual(vectors.count, 6)
        for v in vectors {
            let eaxText = v["cpuid_1_eax"] as! String
            let eax = try XCTUnwrap(UInt32(eaxText.dropFirst(2), radix: 16))
            let expected = v["product"] as! String
            XCTAssertEqual({ let sig = CPUSignature(leaf1EAX: eax); return AMDProduct(family: sig.family, model: sig.model) }()?.rawValue ?? "UNKNOWN", expected, eaxText)
            if expected != "UNKNOWN" { XCTAssertEqual(Int(eax & 0xf), v["stepping"] as? Int, eaxText) }
        }
    }

    func testTCBLayoutsAndMinimumComparison() {
        let milan = TCBVersion(raw: 0x7308000000000003, layout: .milanGenoa)
        XCTAssertEqual(milan.description, "bootloader 3, tee 0, snp 8, microcode 115")
        XCTAssertEqual(TCBVersion(layout: .milanGenoa, bootloader: 3, tee: 0, snp: 8, microcode: 115), milan)
        let turin = TCBVersion(layout: .turin, fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9)
        XCTAssertEqual(turin.raw, 0x0900000004030201)
        XCTAssertEqual(turin.description, "fmc 1, bootloader 2, tee 3, snp 4, microcode 9")
        XCTAssertTrue(milan.isAtLeast(TCBVersion(layout: .milanGenoa, bootloader: 3, tee: 0, snp: 8, microcode: 115)))
        XCTAssertFalse(milan.isAtLeast(TCBVersion(layout: .milanGenoa, bootloader: 3, tee: 0, snp: 9, microcode: 0)))
        // Component-wise: a larger raw value is not enough.
        XCTAssertFalse(milan.isAtLeast(TCBVersion(layout: .milanGenoa, bootloader: 4, tee: 0, snp: 0, microcode: 0)))
    }
}
