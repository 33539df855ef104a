import Foundation
import SEVTestSupport
import XCTest

/// `sevhost report`, `verify certs`, `id-block`, `key-digest` and `fetch`, end to end through the
/// built binary.
final class SNPCommandTests: XCTestCase {
    static let milanReport = "virtee-sev/tests/certs_data/report_milan.hex"
    static let trusteeReport = "confidential-containers-trustee/deps/verifier/test_data/snp/test-report.bin"

    private var temp: URL!

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("snp-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    /// A certificate directory built from pool files (copied at test time into a temp dir).
    private func certDir(_ files: [String], name: String = "certs") throws -> String {
        let dir = temp.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in files {
            let src = try TestData.url(f)
            try FileManager.default.copyItem(at: src, to: dir.appendingPathComponent(src.lastPathComponent))
        }
        return dir.path
    }

    private func milanCerts(name: String = "milan") throws -> String {
        try certDir(["virtee-sev/tests/certs_data/cert_chain_milan", "virtee-sev/tests/certs_data/vcek_milan.der"], name: name)
    }

    func testReportShowNamesEveryField() throws {
        let r = try Subprocess.sevhost(["report", "show", try TestData.url(Self.trusteeReport).path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for expected in [
            "version: 2", "guest_svn: 4", "policy.raw: 0x3001f", "policy.abi_minor: 31", "family_id: 01000000000000000000000000000000",
            "image_id: 02000000000000000000000000000000", "vmpl: 0", "signature_algo: 1", "current_tcb.raw: 0xce08000000000003",
            "current_tcb.microcode: 206", "platform_info.raw: 0x1", "key_info.signing_key: VCEK",
            "report_data: ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e20000000000000000000000000000000000000000000000000000000000000000",
            "measurement: a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c",
            "id_key_digest: 0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3",
            "reported_tcb.raw: 0x7308000000000003", "reported_tcb.microcode: 115", "committed_major: 1", "current_minor: 52",
            "launch_tcb.snp: 8",
            "chip_id: c38427a30d4c7af9d96f7a15b97269825a64cb76a2352ffd5d18115d89ad473f8e8c0bcd9a5d9286612bad4aadfb4426205a3b9e4fea82301135a170e477524e",
        ] {
            XCTAssertTrue(lines.contains(expected), "missing line: \(expected)")
        }
        // 28 fields; the policy, platform info, key info and TCBs are shown bit by bit.
        XCTAssertEqual(lines.count, 68)
        XCTAssertEqual(lines.filter { $0.hasPrefix("policy.") }, [
            "policy.raw: 0x3001f", "policy.abi_minor: 31", "policy.abi_major: 0", "policy.smt: true",
            "policy.reserved_17_must_be_one: true", "policy.migrate_ma: false", "policy.debug: false",
            "policy.single_socket: false", "policy.cxl_allow: false", "policy.mem_aes_256_xts: false",
            "policy.rapl_dis: false", "policy.ciphertext_hiding: false", "policy.page_swap_disable: false",
            "policy.reserved_63_26: 0x0",
        ])
    }

    /// Policy bits 17 and 21-25, PLATFORM_INFO bit 7 and a NONE signing key are named like the
    /// rest (a report edited at those offsets: `show` does not check the signature).
    func testReportShowDecodesEveryPolicyAndPlatformBit() throws {
        var bytes = try TestData.bytes(Self.trusteeReport)
        bytes[0x08 + 2] = 0b0000_0010         // policy bits 16-23: only 17 (SMT off)
        bytes[0x08 + 2] |= 0b1110_0000       // 21, 22, 23
        bytes[0x08 + 3] = 0b0000_0011         // 24, 25
        bytes[0x08 + 4] = 0b0000_0100         // 34: reserved, must be zero
        bytes[0x40] = 0x80                    // PLATFORM_INFO: only TIO_EN
        bytes[0x48] = (bytes[0x48] & ~0x1c) | (7 << 2)   // signing key selector 7: NONE
        let file = temp.appendingPathComponent("edited.bin")
        try Data(bytes).write(to: file)
        let r = try Subprocess.sevhost(["report", "show", file.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("policy.") }, [
            "policy.raw: 0x403e2001f", "policy.abi_minor: 31", "policy.abi_major: 0", "policy.smt: false",
            "policy.reserved_17_must_be_one: true", "policy.migrate_ma: false", "policy.debug: false",
            "policy.single_socket: false", "policy.cxl_allow: true", "policy.mem_aes_256_xts: true",
            "policy.rapl_dis: true", "policy.ciphertext_hiding: true", "policy.page_swap_disable: true",
            "policy.reserved_63_26: 0x400000000",
        ])
        XCTAssertEqual(lines.filter { $0.hasPrefix("platform_info.") }, [
            "platform_info.raw: 0x80", "platform_info.smt_en: false", "platform_info.tsme_en: false",
            "platform_info.ecc_en: false", "platform_info.rapl_dis: false", "platform_info.ciphertext_hiding_en: false",
            "platform_info.alias_check_complete: false", "platform_info.tio_en: true",
        ])
        XCTAssertTrue(lines.contains("key_info.signing_key: NONE"), r.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Subprocess.sevhost(["report", "show", "--json", file.path]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "sevhost-report-show/1")
        XCTAssertEqual((json["key-info"] as? [String: Any])?["signing-key"] as? String, "NONE")
        XCTAssertEqual((json["policy"] as? [String: Any])?["page-swap-disable"] as? Bool, true)
    }

    func testReportShowJSON() throws {
        let r = try Subprocess.sevhost(["report", "show", "--json", try TestData.url(Self.milanReport).path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["version"] as? Int, 2)
        XCTAssertEqual(json["measurement"] as? String, "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f")
        let reported = try XCTUnwrap(json["reported-tcb"] as? [String: Any])
        XCTAssertEqual(reported["raw"] as? String, "0x7308000000000003")
        XCTAssertEqual(reported["microcode"] as? Int, 115)
        XCTAssertEqual((json["signature"] as? [String: Any])?["r"] as? String,
                       "61ab4f11aa661997625f233df42a4ad54440eeb7a96ea63de170cbc29c37c005cb54054881ec7d2bee569b02d07f8272000000000000000000000000000000000000000000000000")
        // Keys keep spec order.
        XCTAssertTrue(r.stdout.range(of: "\"version\"")!.lowerBound < r.stdout.range(of: "\"guest-svn\"")!.lowerBound)
    }

    func testReportVerifyPassesAndExitsZero() throws {
        let r = try Subprocess.sevhost(["report", "verify", try TestData.url(Self.milanReport).path, "--certs", try milanCerts(),
                                        "--measurement", "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
                                        "--vmpl", "0", "--no-migration-agent", "--min-tcb", "bl=3,tee=0,snp=8,ucode=100"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("PASS ") }.count, 19)
        XCTAssertEqual(lines.last, "report \(try TestData.url(Self.milanReport).path): VALID (19 checks passed)")
        XCTAssertTrue(lines.contains("PASS min-tcb: REPORTED_TCB [bootloader 3, tee 0, snp 8, microcode 115], minimum [bootloader 3, tee 0, snp 8, microcode 100]"))
    }

    func testEachFailedCheckIsNamedAndExitIsNonZero() throws {
        let report = try TestData.url(Self.milanReport).path
        let r = try Subprocess.sevhost(["report", "verify", report, "--certs", try milanCerts(),
                                        "--measurement", String(repeating: "00", count: 48), "--vmpl", "1",
                                        "--host-data", String(repeating: "11", count: 32), "--min-tcb", "0x7409000000000003",
                                        "--report-data", String(repeating: "00", count: 64),
                                        "--chip-id", String(repeating: "ab", count: 64)])
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.last, "report \(report): INVALID: measurement, report-data, host-data, min-tcb, vmpl, chip-id")
        XCTAssertTrue(lines.contains("FAIL vmpl: expected VMPL 1, report has 0"))
    }

    /// --product is checked, not only used to read the report: a Milan report with its Milan
    /// chain is refused as a Genoa one, and passes as a Milan one.
    func testProductGivenIsCheckedAgainstTheChain() throws {
        let report = try TestData.url(Self.milanReport).path
        let genoa = try Subprocess.sevhost(["report", "verify", report, "--certs", try milanCerts(), "--product", "genoa"])
        XCTAssertEqual(genoa.status, 1, genoa.stdout)
        let lines = genoa.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("FAIL expected-product: --product Genoa: VCEK productName Milan, root Milan"), genoa.stdout)
        XCTAssertEqual(lines.last, "report \(report): INVALID: expected-product")
        let milan = try Subprocess.sevhost(["report", "verify", report, "--certs", try milanCerts(name: "again"), "--product", "milan"])
        XCTAssertEqual(milan.status, 0, milan.stdout)
        XCTAssertTrue(milan.stdout.contains("PASS expected-product: --product Milan: VCEK productName Milan, root Milan\n"), milan.stdout)
    }

    func testDebugGuestIsRefusedUnlessAllowed() throws {
        // go-sev-guest's real report has policy 0xb0000: DEBUG allowed.
        let dir = try certDir(["google-go-sev-guest/verify/trust/ask_ark_milan.pem", "google-go-sev-guest/verify/testdata/vcek.testcer"])
        let report = try TestData.url("google-go-sev-guest/verify/testdata/attestation.bin").path
        let refused = try Subprocess.sevhost(["report", "verify", report, "--certs", dir, "--json"])
        XCTAssertEqual(refused.status, 1)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "sevhost-report-verify/1")
        XCTAssertEqual(json["valid"] as? Bool, false)
        let reports = try XCTUnwrap(json["reports"] as? [[String: Any]])
        XCTAssertEqual(reports.map { $0["report"] as? String }, [report])
        XCTAssertEqual(reports[0]["failed"] as? [String], ["no-debug"])
        let allowed = try Subprocess.sevhost(["report", "verify", report, "--certs", dir, "--allow-debug"])
        XCTAssertEqual(allowed.status, 0, allowed.stdout)
    }

    func testTamperedReportFailsTheSignature() throws {
        var bytes = try TestData.bytes(Self.trusteeReport)
        bytes[42] &+= 1
        let file = temp.appendingPathComponent("tampered.bin")
        try Data(bytes).write(to: file)
        let dir = try certDir(["confidential-containers-trustee/deps/verifier/src/snp/milan_ask_ark_asvk.pem",
                               "confidential-containers-trustee/deps/verifier/test_data/snp/test-vcek.der"])
        let r = try Subprocess.sevhost(["report", "verify", file.path, "--certs", dir])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout.split(separator: "\n").last.map(String.init), "report \(file.path): INVALID: report-signature")
    }

    func testBadInputIsOneLineNamingTheFile() throws {
        let file = temp.appendingPathComponent("short.bin")
        try Data([1, 2, 3]).write(to: file)
        let r = try Subprocess.sevhost(["report", "show", file.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stderr, "sevhost: \(file.path): expected a 1184-byte report (raw or hex), got 3 bytes\n")
        let badOption = try Subprocess.sevhost(["report", "verify", try TestData.url(Self.milanReport).path, "--certs", try milanCerts(), "--measurement", "abcd"])
        XCTAssertEqual(badOption.status, 1)
        XCTAssertEqual(badOption.stderr, "sevhost: --measurement: expected 48 bytes, got 2\n")
    }

    func testVerifyCerts() throws {
        let good = try Subprocess.sevhost(["verify", "certs", try milanCerts()])
        XCTAssertEqual(good.status, 0, good.stdout)
        XCTAssertEqual(good.stdout.split(separator: "\n").last, "chain: VALID")
        XCTAssertTrue(good.stdout.contains("structVersion=0 productName=Milan-B0 blSPL=3 teeSPL=0 snpSPL=8 ucodeSPL=115 hwID=d49554ec"))

        let turin = try Subprocess.sevhost(["verify", "certs", "--json", try certDir(
            ["virtee-sev/tests/certs_data/cert_chain_turin", "virtee-sev/tests/certs_data/vcek_turin.der"], name: "turin")])
        XCTAssertEqual(turin.status, 0, turin.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(turin.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["product"] as? String, "Turin")
        let certs = try XCTUnwrap(json["certificates"] as? [[String: Any]])
        XCTAssertEqual(certs.map { $0["common-name"] as? String }, ["ARK-Turin", "SEV-Turin", "SEV-VCEK"])
        let ext = try XCTUnwrap(certs[2]["amd-extensions"] as? [String: Any])
        XCTAssertEqual(ext["fmc-spl"] as? Int, 0)
        XCTAssertEqual(ext["ucode-spl"] as? Int, 9)
        XCTAssertEqual(ext["hw-id"] as? String, "1e550a8ee5cf9f4d")

        // A VCEK under the wrong product's chain, and a VCEK after its notAfter.
        let wrong = try Subprocess.sevhost(["verify", "certs", try certDir(
            ["virtee-sev/tests/certs_data/cert_chain_turin", "virtee-sev/tests/certs_data/vcek_milan.der"], name: "wrong")])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stdout.split(separator: "\n").last, "chain: INVALID: vcek-signed-by-ask")
        let late = try Subprocess.sevhost(["verify", "certs", try milanCerts(name: "late"), "--at", "2031-01-01T00:00:00Z"])
        XCTAssertEqual(late.status, 1)
        XCTAssertEqual(late.stdout.split(separator: "\n").last, "chain: INVALID: vcek-validity")
    }

    /// sev-snp-measure's keys (SEC1): ID block bytes and digests as the vector says; the auth
    /// info's signatures are checked independently with Python `cryptography`.
    func testIDBlockMatchesTheVectorAndVerifiesIndependently() throws {
        let idKey = try TestData.url("virtee-sev-snp-measure/tests/keyfile/id_key_test.pem").path
        let authorKey = try TestData.url("virtee-sev-snp-measure/tests/keyfile/author_key_test.pem").path
        let r = try Subprocess.sevhost([
            "id-block", "--id-key", idKey, "--author-key", authorKey,
            "--measurement", "B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t", "--policy", "0x30000",
            "--out", temp.path,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        var fields: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            fields[parts[0]] = parts[1]
        }
        XCTAssertEqual(fields["id-block"], "B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7tAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAwAAAAAA")
        XCTAssertEqual(fields["id-key-digest"], "hwt+NcU/inLQ0yL3WrKvgmJ5Kq9leWIs5BMcPyHyied8sFYKXjuQs5MuZ07HCcsU")
        XCTAssertEqual(fields["author-key-digest"], "YxEcNLv8Ckk4+aAJvQdJgNgXIyPmFZnJ/TNtqGcySOHcqY0L6PdjdqEGuK/UwKBX")
        XCTAssertEqual(fields["author-key-enabled"], "on")
        XCTAssertEqual(try String(contentsOf: temp.appendingPathComponent("id-auth.b64"), encoding: .utf8), fields["id-auth"])
        XCTAssertEqual(try String(contentsOf: temp.appendingPathComponent("id-block.b64"), encoding: .utf8), fields["id-block"])

        let python = try Peers.venvTool("python")
        let check = try Subprocess.run(python, [
            PackageRoot.url.appendingPathComponent("Tests/Fixtures/verify_id_auth.py").path,
            fields["id-block"]!, fields["id-auth"]!, idKey, authorKey,
        ])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, "OK\n")

        // The independent check is not vacuous: a different author key is refused.
        let wrong = try Subprocess.run(python, [
            PackageRoot.url.appendingPathComponent("Tests/Fixtures/verify_id_auth.py").path,
            fields["id-block"]!, fields["id-auth"]!, idKey, idKey,
        ])
        XCTAssertNotEqual(wrong.status, 0)
    }

    func testIDBlockRefusesANonSNPPolicy() throws {
        let key = try TestData.url("virtee-sev/tests/measurement/test_id_key.pem").path
        let r = try Subprocess.sevhost(["id-block", "--id-key", key, "--measurement", String(repeating: "00", count: 48), "--policy", "0x1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "sevhost: policy 0x1 is not an SNP launch policy: reserved bit 17 must be 1 (e.g. 0x30000)\n")
    }

    func testKeyDigestOfEveryPoolKey() throws {
        let expected = [
            "virtee-sev/tests/measurement/test_id_key.pem": "WfssaG36T+9J84M5qndckAUcKNVzg93DuvO160sUlt87DbvcuuX+J2d6ZEggdz/i",
            "virtee-sev/tests/measurement/test_auth_key.pem": "7tgRafsMteDsNHlPEo/U4MSkb2fGWhrfqB/LJLzAiMJyNpt//D6ytq9qQoShs2xf",
            "virtee-sev-snp-measure/tests/keyfile/id_key_test.pem": "hwt+NcU/inLQ0yL3WrKvgmJ5Kq9leWIs5BMcPyHyied8sFYKXjuQs5MuZ07HCcsU",
            "virtee-sev-snp-measure/tests/keyfile/author_key_test.pem": "YxEcNLv8Ckk4+aAJvQdJgNgXIyPmFZnJ/TNtqGcySOHcqY0L6PdjdqEGuK/UwKBX",
        ]
        for (path, digest) in expected {
            let r = try Subprocess.sevhost(["key-digest", try TestData.url(path).path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, digest + "\n", path)
        }
        let hex = try Subprocess.sevhost(["key-digest", "--hex", try TestData.url("virtee-sev/tests/measurement/test_id_key.pem").path])
        XCTAssertEqual(hex.stdout, Data(base64Encoded: expected["virtee-sev/tests/measurement/test_id_key.pem"]!)!.map { String(format: "%02x", $0) }.joined() + "\n")
    }
}
