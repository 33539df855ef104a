import Crypto
import Foundation
import SEVTestSupport
import XCTest

/// `sevhost verify --sev`, `session`, `measurement` and `secret` end to end, through the built
/// binary.
final class LegacySEVCLITests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    private static func platform(_ product: String) throws -> [[UInt8]] {
        try ["pdh", "pek", "oca", "cek"].map { try TestData.bytes("virtee-sev/tests/\(product)/\($0).cert") }
    }

    private static func ca(_ product: String) throws -> [[UInt8]] {
        try ["ask", "ark"].map { try TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/\($0).cert") }
    }

    private static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The tree, computed here from the certificate bytes (digest of each signed body).
    private static func expectedTree(_ certs: [[UInt8]], ok: [Bool], naples: Bool) -> String {
        let (pdh, pek, oca, cek, ask, ark) = (certs[0], certs[1], certs[2], certs[3], certs[4], certs[5])
        func p256(_ c: [UInt8]) -> String { hex(SHA256.hash(data: c[0..<0x414])) }
        func caDigest(_ c: [UInt8]) -> String {
            let body = c.dropLast(naples ? 256 : 512)
            return naples ? hex(SHA256.hash(data: Array(body))) : hex(SHA384.hash(data: Array(body)))
        }
        let rsa = naples ? "R2048 R256" : "R4096 R384"
        func link(_ i: Int) -> String { ok[i] ? "⬑" : "⬑\u{0338}" }
        func root(_ i: Int) -> String { ok[i] ? "•" : "•\u{0337}" }
        return [
            "PDH EP384 D256 \(p256(pdh))",
            " \(link(0)) PEK EP384 E256 \(p256(pek))",
            "   \(root(2))\(link(1)) OCA EP384 E256 \(p256(oca))",
            "    \(link(3)) CEK EP384 E256 \(p256(cek))",
            "       \(link(4)) ASK \(rsa) \(caDigest(ask))",
            "         \(root(6))\(link(5)) ARK \(rsa) \(caDigest(ark))",
            "",
            " • = self signed, ⬑ = signs, •̷ = invalid self sign, ⬑̸ = invalid signs",
            "",
        ].joined(separator: "\n")
    }

    func testVerifyFullChains() throws {
        for product in ["naples", "rome"] {
            let certs = try Self.platform(product) + Self.ca(product)
            let path = try write("\(product).chain", certs.flatMap { $0 })
            let result = try Subprocess.sevhost(["verify", "--sev", path])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, Self.expectedTree(certs, ok: Array(repeating: true, count: 7), naples: product == "naples"))
            XCTAssertEqual(result.stderr, "")
        }
    }

    func testVerifyWithSeparateCAAndOCA() throws {
        let certs = try Self.platform("rome")
        let chain = try write("rome.chain", certs.flatMap { $0 })
        let ca = try write("ask_ark_rome.cert", try Self.ca("rome").flatMap { $0 })
        let oca = try write("oca.cert", certs[2])
        let result = try Subprocess.sevhost(["verify", "--sev", chain, "--ca", ca, "--oca", oca])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, Self.expectedTree(certs + (try Self.ca("rome")), ok: Array(repeating: true, count: 7), naples: false))

        // Without --ca the CA chain is downloaded (AMDCADownloadCLITests); from a mirror holding
        // nothing for Rome, verification fails before printing anything.
        let mirror = try LocalKDSServer(routes: [:])
        defer { mirror.stop() }
        let missing = try Subprocess.sevhost(
            ["verify", "--sev", chain, "--product", "rome", "--no-cache", "-q"], environment: ["SEVHOST_AMD_CA_URL": mirror.baseURL])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stdout, "")
        XCTAssertEqual(missing.stderr, "sevhost: \(mirror.baseURL)/ask_ark_rome.cert: HTTP 404; pass AMD's CA chain (ASK then ARK) with --ca\n")
    }

    func testVerifyFailsOnABadLink() throws {
        var certs = try Self.platform("naples") + Self.ca("naples")
        certs[3][0x30] ^= 0x01   // the CEK's key: breaks ASK ⬑ CEK and CEK ⬑ PEK
        let path = try write("bad.chain", certs.flatMap { $0 })
        let result = try Subprocess.sevhost(["verify", "--sev", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, Self.expectedTree(certs, ok: [true, true, true, false, false, true, true], naples: true))
        // Qx changed: the CEK key is no longer a point on P-384, which is what the error says.
        XCTAssertEqual(result.stderr, "sevhost: SEV/CA certificate verification failed: PEK signed by CEK: invalid: CEK certificate: invalid public key: the point is not on P-384\n")

        let quiet = try Subprocess.sevhost(["verify", "--sev", path, "--quiet"])
        XCTAssertEqual(quiet.status, 1)
        XCTAssertEqual(quiet.stdout, "")
    }

    func testVerifyCrossProductCA() throws {
        let certs = try Self.platform("rome")
        let chain = try write("rome.chain", certs.flatMap { $0 })
        let ca = try write("milan.ca", try Self.ca("milan").flatMap { $0 })
        let result = try Subprocess.sevhost(["verify", "--sev", chain, "--ca", ca])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: SEV/CA certificate verification failed: CEK signed by ASK: invalid: the ASK signature on the CEK does not verify\n")
    }

    func testVerifyTruncatedChainNamesTheOffset() throws {
        let bytes = try Self.platform("rome").flatMap { $0 }
        let path = try write("short.chain", Array(bytes.prefix(3000)))
        let result = try Subprocess.sevhost(["verify", "--sev", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: \(path), offset 2100 (0x834): public key: expected 1028 bytes, only 900 left\n")
    }

    // MARK: - session

    func testSessionFromAVerifiedChain() throws {
        let certs = try Self.platform("naples") + Self.ca("naples")
        let chain = try write("naples.chain", certs.flatMap { $0 })
        let out = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        let result = try Subprocess.sevhost(["session", chain, "0x1", "--name", "guest", "--out", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        // The files' names are messages (stderr); standard output carries no data here.
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, ["godh.b64", "session.b64", "tek.bin", "tik.bin"].map { "wrote \(out.path)/guest_\($0)\n" }.joined())
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(names, ["guest_godh.b64", "guest_session.b64", "guest_tek.bin", "guest_tik.bin"])
        let godh = try XCTUnwrap(Data(base64Encoded: try String(contentsOf: out.appendingPathComponent("guest_godh.b64"), encoding: .utf8)))
        XCTAssertEqual(godh.count, 2084)
        XCTAssertEqual([UInt8](godh[8..<12]), [0x03, 0x10, 0, 0])
        let session = try XCTUnwrap(Data(base64Encoded: try String(contentsOf: out.appendingPathComponent("guest_session.b64"), encoding: .utf8)))
        XCTAssertEqual(session.count, 128)
        for key in ["guest_tek.bin", "guest_tik.bin"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(key).path)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, key)
            XCTAssertEqual((attributes[.size] as? NSNumber)?.intValue, 16, key)
        }
    }

    func testSessionFromAPlatformChainNeedsTheCA() throws {
        let chain = try write("rome.chain", try Self.platform("rome").flatMap { $0 })
        // Without --ca the CA chain is downloaded (AMDCADownloadCLITests); from a mirror holding
        // nothing for Rome, no session is made and no file is written.
        let mirror = try LocalKDSServer(routes: [:])
        defer { mirror.stop() }
        let noCA = try Subprocess.sevhost(
            ["session", chain, "0", "--out", directory.path, "--product", "rome", "--no-cache"],
            environment: ["SEVHOST_AMD_CA_URL": mirror.baseURL])
        XCTAssertEqual(noCA.status, 1)
        XCTAssertEqual(noCA.stderr, """
            amd-ca: GET \(mirror.baseURL)/ask_ark_rome.cert
            sevhost: \(mirror.baseURL)/ask_ark_rome.cert: HTTP 404; pass AMD's CA chain (ASK then ARK) with --ca

            """)
        XCTAssertEqual(try files(), ["rome.chain"])
        let ca = try write("ask_ark_rome.cert", try Self.ca("rome").flatMap { $0 })
        let both = try Subprocess.sevhost(["session", chain, "0", "--ca", ca, "--product", "rome", "--out", directory.path])
        XCTAssertEqual(both.status, 1)
        XCTAssertEqual(both.stderr, "sevhost: --product and --ca-url are only used when the CA chain is downloaded, not with --ca\n")
        // A missing --out directory is made (0700: it receives the TEK and TIK); a file is refused.
        let missingDirectory = directory.appendingPathComponent("missing/sessions").path
        let made = try Subprocess.sevhost(["session", chain, "0", "--ca", ca, "--out", missingDirectory])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: missingDirectory).sorted(),
                       ["vm_godh.b64", "vm_session.b64", "vm_tek.bin", "vm_tik.bin"])
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: missingDirectory)[.posixPermissions] as? Int, 0o700)
        try FileManager.default.removeItem(atPath: directory.appendingPathComponent("missing").path)
        let notDirectory = try Subprocess.sevhost(["session", chain, "0", "--ca", ca, "--out", chain])
        XCTAssertEqual(notDirectory.status, 1)
        XCTAssertEqual(notDirectory.stderr, "sevhost: --out \(chain): not a directory\n")
        XCTAssertEqual(try files(), ["ask_ark_rome.cert", "rome.chain"])
        let ok = try Subprocess.sevhost(["session", chain, "0", "--ca", ca, "--out", directory.path, "--name", "r"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try files(), ["ask_ark_rome.cert", "r_godh.b64", "r_session.b64", "r_tek.bin", "r_tik.bin", "rome.chain"])
    }

    func testSessionFromABarePDHWarns() throws {
        let pdh = try write("pdh.cert", try TestData.bytes("virtee-sev/tests/rome/pdh.cert"))
        let out = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        let result = try Subprocess.sevhost(["session", pdh, "5", "--out", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "sevhost: warning: \(pdh) is a bare PDH certificate: it is used without verifying that it belongs to a genuine AMD platform\n"
                       + ["godh.b64", "session.b64", "tek.bin", "tik.bin"].map { "wrote \(out.path)/vm_\($0)\n" }.joined())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(),
                       ["vm_godh.b64", "vm_session.b64", "vm_tek.bin", "vm_tik.bin"])

        // -q: the same files, and neither the warning nor the notes.
        let quiet = try Subprocess.sevhost(["session", pdh, "5", "--out", out.path, "--name", "q", "-q"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(quiet.stdout, "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("q_tik.bin").path))
    }

    func testSessionLeavesNothingOnFailure() throws {
        var certs = try Self.platform("naples") + Self.ca("naples")
        certs[0][0x40] ^= 0x01   // PDH no longer signed by the PEK
        let chain = try write("bad.chain", certs.flatMap { $0 })
        let before = try files()
        let bad = try Subprocess.sevhost(["session", chain, "0", "--out", directory.path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "sevhost: certificate chain: PDH signed by PEK: invalid: the PEK signature on the PDH does not verify\n")
        XCTAssertEqual(try files(), before)

        let truncated = try write("short.cert", Array(try TestData.bytes("virtee-sev/tests/rome/pdh.cert").prefix(2000)))
        let short = try Subprocess.sevhost(["session", truncated, "0", "--out", directory.path])
        XCTAssertEqual(short.status, 1)
        XCTAssertEqual(short.stderr, "sevhost: \(truncated), offset 1572 (0x624): signature 2: expected 512 bytes, only 428 left\n")

        let pek = try write("pek.cert", try TestData.bytes("virtee-sev/tests/rome/pek.cert"))
        let wrong = try Subprocess.sevhost(["session", pek, "0", "--out", directory.path])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stderr, "sevhost: platform Diffie-Hellman certificate: expected the PDH certificate, found key usage PEK\n")

        let policy = try Subprocess.sevhost(["session", pek, "0xZZ", "--out", directory.path])
        XCTAssertEqual(policy.status, 1)
        XCTAssertEqual(policy.stderr, "sevhost: POLICY 0xZZ: expected a 32-bit integer, decimal or 0x-prefixed hex\n")
        XCTAssertEqual(try files(), ["bad.chain", "pek.cert", "short.cert"])
    }

    // MARK: - measurement

    func testMeasurementBuildAndVerifyVectors() throws {
        let tik = try TestData.url("virtee-sevctl/tests/data/measurement/tik1.bin").path
        let common = ["--api-major", "1", "--api-minor", "40", "--build-id", "40", "--policy", "0x3", "--tik", tik]
        let build = try Subprocess.sevhost(["measurement", "build"] + common + [
            "--nonce", "wxP6tRHCFrFQWxsuqZA8QA==", "--launch-digest", "xkvRAfyaSizgonxAjZIAkR8TmolUabBKQKb6KJCDDSM=",
        ])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertEqual(build.stdout, "lswbxWxI9gckya16JQvdFtpYmNO4b+3inAPpqsgoBI7DE/q1EcIWsVBbGy6pkDxA\n")

        // Hex launch digest (the firmware vector's SHA-256), verify against the firmware's blob.
        let verify = try Subprocess.sevhost(["measurement", "verify"] + common + [
            "--launch-digest", "2f6fc6065f4abc131eb4fb2b5090a542636eae84a94c0db0fdd5f405cb372ff5",
            "--measurement", "oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWsVBbGy6pkDxA",
        ])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertEqual(verify.stdout, "measurement matches: a0c0dec08a2e252a5ba4d4478fb324de9d3c1f674f65076c64c535e2a2329819\n")

        // The SEV-ES vector, blob from a file.
        let blob = try write("measure.b64", Array("/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny\n".utf8))
        let es = try Subprocess.sevhost(["measurement", "verify", "--api-major", "1", "--api-minor", "49", "--build-id", "6",
            "--policy", "5", "--tik", tik, "--launch-digest", "847b5ab6db136ea67dc5a95478ebe7e5ebbe93e9e74bdb1284165f9007a4e367",
            "--measurement", blob])
        XCTAssertEqual(es.status, 0, es.stderr)

        // MNONCE from the firmware's blob, and --outfile with the 48 raw bytes (sevctl's args_vmsa / args_outfile).
        let outfile = directory.appendingPathComponent("measure.bin")
        let fromBlob = try Subprocess.sevhost(["measurement", "build", "--api-major", "1", "--api-minor", "49", "--build-id", "6",
            "--policy", "0x5", "--tik", tik, "--launch-digest", "847b5ab6db136ea67dc5a95478ebe7e5ebbe93e9e74bdb1284165f9007a4e367",
            "--launch-measure-blob", "/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny", "--outfile", outfile.path])
        XCTAssertEqual(fromBlob.status, 0, fromBlob.stderr)
        XCTAssertEqual(fromBlob.stdout, "/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny\n")
        XCTAssertEqual(try Data(contentsOf: outfile).base64EncodedString(), "/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny")

        let noNonce = try Subprocess.sevhost(["measurement", "build"] + common + ["--launch-digest", "2f6fc6065f4abc131eb4fb2b5090a542636eae84a94c0db0fdd5f405cb372ff5"])
        XCTAssertEqual(noNonce.status, 1)
        XCTAssertEqual(noNonce.stderr, "sevhost: one of --nonce or --launch-measure-blob is needed\n")

        let badDigest = try Subprocess.sevhost(["measurement", "build"] + common + ["--nonce", "wxP6tRHCFrFQWxsuqZA8QA==", "--launch-digest", "2f6f"])
        XCTAssertEqual(badDigest.status, 1)
        XCTAssertEqual(badDigest.stderr, "sevhost: --launch-digest: expected 64 hex digits or base64 of 32 bytes\n")

        let mismatch = try Subprocess.sevhost(["measurement", "verify"] + common + [
            "--launch-digest", "2f6fc6065f4abc131eb4fb2b5090a542636eae84a94c0db0fdd5f405cb372ff4",
            "--measurement", "oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWsVBbGy6pkDxA",
        ])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.stderr.hasPrefix("sevhost: measurement mismatch: the firmware reported a0c0dec08a2e252a5ba4d4478fb324de9d3c1f674f65076c64c535e2a2329819, the expected launch gives "), mismatch.stderr)

        let short = try Subprocess.sevhost(["measurement", "verify"] + common + [
            "--launch-digest", "2f6fc6065f4abc131eb4fb2b5090a542636eae84a94c0db0fdd5f405cb372ff5", "--measurement", "AAAA",
        ])
        XCTAssertEqual(short.status, 1)
        XCTAssertEqual(short.stderr, "sevhost: --measurement: expected 48 bytes, the text decodes to 2 bytes as hex, 3 as base64\n")
    }

    // MARK: - secret

    private func secretArguments() throws -> [String] {
        [
            "secret", "build",
            "--tek", try TestData.url("virtee-sevctl/tests/data/secret/tek1.bin").path,
            "--tik", try TestData.url("virtee-sevctl/tests/data/secret/tik1.bin").path,
            "--measurement", "TLeA7607lZQntLjRY1/i+sbtdSZ+75zxpz4Px9hzpBLwItF5Q2o4prA++3ZZv9ZS",
        ]
    }

    func testSecretBuildVectors() throws {
        let secret1 = try TestData.url("virtee-sevctl/tests/data/secret/secret1.txt").path
        let secret2 = try TestData.url("virtee-sevctl/tests/data/secret/secret2.txt").path
        let single = try Subprocess.sevhost(try secretArguments() + ["--iv", "rFR07U3TLH2YnsUj2SVZ7A==", "--secret", "luks-key:\(secret1)"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertEqual(single.stdout, """
            header: AAAAAKxUdO1N0yx9mJ7FI9klWey8FSzeYQ4X8K71VzNKLU/KQsIsQxLjtbhaPUewqshX5Q==
            payload: 0U3e5PcXv0UW+H4tSBFKOdCYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj56GL12yyinDa+lVfCCwD/2w5cPA==

            """)

        let header = directory.appendingPathComponent("header.b64").path, payload = directory.appendingPathComponent("payload.b64").path
        let two = try Subprocess.sevhost(try secretArguments() + [
            "--iv", "rFR07U3TLH2YnsUj2SVZ7A==", "--secret", "736869e5-84f0-4973-92ec-06879ce3da0b:\(secret1)",
            "--secret", "736869e5-aaaa-4973-92ec-06879ce3da0b:\(secret2)", "--out-header", header, "--out-payload", payload,
        ])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertEqual(try String(contentsOfFile: header, encoding: .utf8), "AAAAAKxUdO1N0yx9mJ7FI9klWeyZ3r0dOEKHUOhIRqzGYYvTJgdMtBPL1nK6GD9aGET7Ng==")
        XCTAssertEqual(try String(contentsOfFile: payload, encoding: .utf8),
                       "0U3e5PcXv0UW+H4tSBFKObWYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj56GL12yyinDa+lVfCC+WWs332lpLNUX1ZI3YK7vYgtys4X+uGxEIlkIQ90v8/w8ZFmQMe")

        let raw = try Subprocess.sevhost(try secretArguments() + [
            "--iv", "rFR07U3TLH2YnsUj2SVZ7A==", "--secret", "luks-key:\(secret1)", "--raw", "--out-header", header, "--out-payload", payload,
        ])
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: header)).base64EncodedString(),
                       "AAAAAKxUdO1N0yx9mJ7FI9klWey8FSzeYQ4X8K71VzNKLU/KQsIsQxLjtbhaPUewqshX5Q==")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: payload)).count, 64)
    }

    func testSecretRandomIVAndMaximum() throws {
        let secret4 = try TestData.url("virtee-sevctl/tests/data/secret/secret4.txt").path
        let a = try Subprocess.sevhost(try secretArguments() + ["--secret", "23058844-597b-42fb-8259-a0f5d9d495af:\(secret4)"])
        let b = try Subprocess.sevhost(try secretArguments() + ["--secret", "23058844-597b-42fb-8259-a0f5d9d495af:\(secret4)"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertNotEqual(a.stdout, b.stdout)
        let payload = try XCTUnwrap(a.stdout.split(separator: "\n").last?.dropFirst("payload: ".count))
        XCTAssertEqual(Data(base64Encoded: String(payload))?.count, 16384)
    }

    func testSecretErrorsLeaveNoFiles() throws {
        let secret1 = try TestData.url("virtee-sevctl/tests/data/secret/secret1.txt").path
        let big = try write("big.bin", Array(repeating: 0x2e, count: 16345))
        let header = directory.appendingPathComponent("h").path, payload = directory.appendingPathComponent("p").path
        let outputs = ["--out-header", header, "--out-payload", payload]

        let tooLarge = try Subprocess.sevhost(try secretArguments() + ["--secret", "luks-key:\(big)"] + outputs)
        XCTAssertEqual(tooLarge.status, 1)
        XCTAssertEqual(tooLarge.stderr, "sevhost: secret table: 16400 bytes (padded) exceeds the maximum of 16384 bytes\n")

        let badGUID = try Subprocess.sevhost(try secretArguments() + ["--secret", "736869e5-84f0-4973-92ec:\(secret1)"] + outputs)
        XCTAssertEqual(badGUID.status, 1)
        XCTAssertEqual(badGUID.stderr, "sevhost: --secret 736869e5-84f0-4973-92ec: not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) nor a known alias (luks-key)\n")

        let noFile = try Subprocess.sevhost(try secretArguments() + ["--secret", "luks-key:/nonexistent/secret"] + outputs)
        XCTAssertEqual(noFile.status, 1)
        XCTAssertEqual(noFile.stderr, "sevhost: --secret luks-key /nonexistent/secret: No such file or directory\n")

        let shortTEK = try Subprocess.sevhost(["secret", "build", "--tek", "AAAA", "--tik", "AAAA", "--measurement", "AAAA", "--secret", "luks-key:\(secret1)"] + outputs)
        XCTAssertEqual(shortTEK.status, 1)
        XCTAssertEqual(shortTEK.stderr, "sevhost: --tek: expected 16 bytes, the text decodes to 2 bytes as hex, 3 as base64\n")

        let badMeasure = try Subprocess.sevhost(Array(try secretArguments().dropLast(2)) + ["--measurement", "AAAA", "--secret", "luks-key:\(secret1)"] + outputs)
        XCTAssertEqual(badMeasure.status, 1)
        XCTAssertEqual(badMeasure.stderr, "sevhost: --measurement: expected the 48-byte LAUNCH_MEASURE blob or its 32-byte measurement, or an attestation bundle, the text decodes to 2 bytes as hex, 3 as base64\n")

        XCTAssertEqual(try files(), ["big.bin"])
    }
}

/// The session opened by Python `cryptography` (the test venv): an implementation of the
/// firmware's side that shares no code with sevhost.
final class LegacySEVSessionPythonTests: XCTestCase {
    func testPythonOpensASevhostSession() throws {
        let python = try Peers.venvTool("python")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-pysession-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("check.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)

        let make = try Subprocess.run(python, [script.path, "make", directory.path])
        XCTAssertEqual(make.status, 0, make.stderr)
        let session = try Subprocess.sevhost(["session", directory.appendingPathComponent("pdh.cert").path, "0x00050033", "--name", "py", "--out", directory.path])
        XCTAssertEqual(session.status, 0, session.stderr)
        let open = try Subprocess.run(python, [script.path, "open", directory.path])
        XCTAssertEqual(open.status, 0, open.stderr)
        XCTAssertEqual(open.stdout, "wrap_mac ok\ntek ok\ntik ok\npolicy_mac ok\n")
    }

    static let script = #"""
    import base64, hashlib, hmac, struct, sys
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    mode, d = sys.argv[1], sys.argv[2]
    if mode == "make":
        key = ec.generate_private_key(ec.SECP384R1())
        open(d + "/pdh.pem", "wb").write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        n = key.public_key().public_numbers()
        body = struct.pack("<IBBHII", 1, 0, 0, 0, 0x1003, 0x3)
        body += struct.pack("<I", 2) + n.x.to_bytes(72, "little") + n.y.to_bytes(72, "little") + bytes(880)
        sig = struct.pack("<II", 0x1000, 0) + bytes(512)
        open(d + "/pdh.cert", "wb").write(body + sig + sig)
        sys.exit(0)

    key = serialization.load_pem_private_key(open(d + "/pdh.pem", "rb").read(), None)
    godh = base64.b64decode(open(d + "/py_godh.b64").read())
    blob = base64.b64decode(open(d + "/py_session.b64").read())
    assert len(godh) == 2084 and len(blob) == 128
    assert struct.unpack_from("<III", godh, 8) == (0x1003, 0x3, 2)
    x = int.from_bytes(godh[0x14:0x14 + 72], "little")
    y = int.from_bytes(godh[0x14 + 72:0x14 + 144], "little")
    z = key.exchange(ec.ECDH(), ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key())

    def kdf(k, label, ctx):
        msg = struct.pack("<I", 1) + label + b"\0" + ctx + struct.pack("<I", 128)
        return hmac.new(k, msg, hashlib.sha256).digest()[:16]

    nonce, wrap_tk, wrap_iv, wrap_mac, policy_mac = blob[0:16], blob[16:48], blob[48:64], blob[64:96], blob[96:128]
    master = kdf(z, b"sev-master-secret", nonce)
    kek, kik = kdf(master, b"sev-kek", b""), kdf(master, b"sev-kik", b"")
    assert hmac.new(kik, wrap_tk, hashlib.sha256).digest() == wrap_mac; print("wrap_mac ok")
    keys = Cipher(algorithms.AES(kek), modes.CTR(wrap_iv)).decryptor().update(wrap_tk)
    assert keys[:16] == open(d + "/py_tek.bin", "rb").read(); print("tek ok")
    assert keys[16:] == open(d + "/py_tik.bin", "rb").read(); print("tik ok")
    assert hmac.new(keys[16:], struct.pack("<I", 0x00050033), hashlib.sha256).digest() == policy_mac; print("policy_mac ok")
    """#
}
