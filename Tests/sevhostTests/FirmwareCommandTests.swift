import Crypto
import Foundation
import SEVTestSupport
import XCTest

/// The platform firmware commands through the built binary: against the simulated firmware
/// (`--firmware sim:DIR`), and against this machine's missing /dev/sev.
final class FirmwareCommandTests: XCTestCase {
    private var directory: URL!
    private var sim: String { "sim:" + directory.appendingPathComponent("fw").path }
    private var simDirectory: String { directory.appendingPathComponent("fw").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-fwcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    private func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let result = try Subprocess.sevhost(arguments)
        XCTAssertEqual(result.status, 0, "sevhost \(arguments.joined(separator: " ")): \(result.stderr)", file: file, line: line)
        return result
    }

    private static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Without /dev/sev

    /// Every firmware command, on a machine without /dev/sev: one sentence, exit 1, no output file.
    func testEveryCommandFailsInOneSentenceWithoutDevSev() throws {
        if FileManager.default.fileExists(atPath: "/dev/sev") {
            throw XCTSkip("this machine has /dev/sev")
        }
        try run(["generate", path("oca.cert"), path("oca.key")])
        try FileManager.default.createDirectory(atPath: path("certs"), withIntermediateDirectories: true)
        try Data([0x30, 0x01, 0x00]).write(to: URL(fileURLWithPath: path("certs/ark.der")))
        let commands: [[String]] = [
            ["show", "identifier"], ["show", "version"], ["show", "flags"], ["show", "guests"], ["show", "tcb"],
            ["show", "snp-status"], ["export", path("chain.cert")], ["provision", path("oca.cert"), path("oca.key"), "--yes"],
            ["reset", "--yes"], ["rotate", "--yes"], ["rotate", "--pek", "--yes"], ["snp", "commit", "--yes"],
            ["snp", "config", "set", "3", "0", "14", "209"], ["snp", "config", "reset"],
            ["snp", "certs", "import", path("certs")], ["snp", "certs", "export", path("out")],
        ]
        for arguments in commands {
            let result = try Subprocess.sevhost(arguments)
            XCTAssertEqual(result.status, 1, arguments.joined(separator: " "))
            XCTAssertEqual(result.stdout, "", arguments.joined(separator: " "))
            XCTAssertEqual(
                result.stderr, "sevhost: unable to open /dev/sev: No such file or directory (os error 2)\n",
                arguments.joined(separator: " "))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("chain.cert")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")))
    }

    // MARK: Simulated firmware

    func testDestructiveCommandsRefuseWithoutYesOffATerminal() throws {
        for (arguments, action) in [
            (["reset"], "reset the platform"), (["rotate"], "rotate keys"), (["snp", "commit"], "commit the firmware"),
        ] {
            let result = try Subprocess.sevhost(arguments + ["--firmware", sim])
            XCTAssertEqual(result.status, 1)
            XCTAssertEqual(
                result.stderr, "sevhost: refusing to \(action) without --yes: standard input is not a terminal to confirm on\n")
        }
    }

    /// On a terminal (a pty from script(1)) the question is asked: "n" changes nothing, "y" goes on.
    func testDestructiveCommandsAskOnATerminal() throws {
        let script = URL(fileURLWithPath: "/usr/bin/script")
        guard FileManager.default.isExecutableFile(atPath: script.path) else {
            if Peers.isCI { XCTFail("script(1) is missing (bsdutils, scripts/setup)") }
            throw XCTSkip("script(1) is missing (bsdutils)")
        }
        try run(["export", path("before.cert"), "--firmware", sim])
        let command = "\(Peers.sevhost.path) rotate --firmware \(sim)"
        let question = "Rotate the PDH of the simulated firmware in \(simDirectory)? Guest owners must fetch the new chain. [y/N] "

        let no = try Subprocess.run(script, ["-qec", command, "/dev/null"], environment: ["NO_COLOR": "1"], stdin: Data("n\n".utf8))
        XCTAssertEqual(no.status, 1)
        // The pty echoes the answer wherever it arrives, so the two parts are checked apart.
        XCTAssertTrue(no.stdout.contains(question), no.stdout)
        XCTAssertTrue(no.stdout.contains("sevhost: not confirmed: nothing was changed\r\n"), no.stdout)
        try run(["export", path("after-no.cert"), "--firmware", sim])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("after-no.cert"))), try Data(contentsOf: URL(fileURLWithPath: path("before.cert"))))

        let yes = try Subprocess.run(script, ["-qec", command, "/dev/null"], environment: ["NO_COLOR": "1"], stdin: Data("y\n".utf8))
        XCTAssertEqual(yes.status, 0, yes.stdout)
        XCTAssertTrue(yes.stdout.contains(question), yes.stdout)
        try run(["export", path("after-yes.cert"), "--firmware", sim])
        let before = try Data(contentsOf: URL(fileURLWithPath: path("before.cert")))
        let after = try Data(contentsOf: URL(fileURLWithPath: path("after-yes.cert")))
        XCTAssertNotEqual(after.prefix(2084), before.prefix(2084), "the PDH was rotated")
        XCTAssertEqual(after.dropFirst(2084), before.dropFirst(2084))
    }

    func testExportFullNeedsTheCAChain() throws {
        // Without --ca the chain is downloaded; a mirror that has none of the files gives one line.
        let mirror = try LocalKDSServer(routes: [:])
        defer { mirror.stop() }
        let full = try Subprocess.sevhost(["export", "--full", path("full.cert"), "--firmware", sim, "--ca-url", mirror.baseURL, "--no-cache"])
        XCTAssertEqual(full.status, 1)
        let base = mirror.baseURL
        XCTAssertTrue(full.stderr.hasSuffix("""
            sevhost: no AMD CA chain signs the CEK (\(base)/ask_ark_naples.cert: HTTP 404; \(base)/ask_ark_rome.cert: HTTP 404; \
            \(base)/ask_ark_milan.cert: HTTP 404; \(base)/ask_ark_genoa.cert: HTTP 404); pass AMD's CA chain (ASK then ARK) with --ca

            """), full.stderr)
        let ca = try Subprocess.sevhost(["export", "--ca", path("x"), path("chain.cert"), "--firmware", sim])
        XCTAssertEqual(ca.stderr, "sevhost: --ca is only used with --full\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("full.cert")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("chain.cert")))
    }

    func testShowAgainstTheSimulatedFirmware() throws {
        XCTAssertEqual(try run(["show", "version", "--firmware", sim]).stdout, "1.55.21\n")
        XCTAssertEqual(try run(["show", "guests", "--firmware", sim]).stdout, "0\n")
        XCTAssertEqual(try run(["show", "flags", "--firmware", sim]).stdout, "owner: self\nsev-es: initialized\n")
        let identifier = try run(["show", "identifier", "--firmware", sim]).stdout
        XCTAssertNotNil(identifier.wholeMatch(of: /[0-9A-F]{128}\n/), identifier)
        XCTAssertEqual(try run(["show", "identifier", "--firmware", sim]).stdout, identifier, "the chip id is stable")
        XCTAssertEqual(try run(["show", "snp-status", "--firmware", sim]).stdout, """
            API version: 1.55
            Build ID: 21
            State: initialized
            RMP initialized: yes
            Alias check complete: yes
            Mask chip ID: no
            Mask chip key: no
            VLEK enabled: no
            Guests: 0
            Platform TCB: bootloader 3, tee 0, snp 22, microcode 213 (0xd516000000000003)
            Reported TCB: bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)

            """)
    }

    /// generate → provision → export → verify: the exported chain leads back to the OCA made here.
    func testOwnershipRoundTrip() throws {
        try run(["generate", path("oca.cert"), path("oca.key")])
        let keyMode = try FileManager.default.attributesOfItem(atPath: path("oca.key"))[.posixPermissions] as? Int
        XCTAssertEqual(keyMode, 0o600)
        let oca = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("oca.cert"))))
        XCTAssertEqual(oca.count, 2084)

        try run(["provision", path("oca.cert"), path("oca.key"), "--firmware", sim, "--yes"])
        XCTAssertEqual(try run(["show", "flags", "--firmware", sim]).stdout, "owner: external\nsev-es: initialized\n")
        try run(["export", path("chain.cert"), "--firmware", sim])
        let chain = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("chain.cert"))))
        XCTAssertEqual(chain.count, 8336)
        XCTAssertEqual(Array(chain[4168..<6252]), oca, "the exported chain carries the provisioned OCA")

        let caPath = simDirectory + "/ask_ark.cert"
        let ca = [UInt8](try Data(contentsOf: URL(fileURLWithPath: caPath)))
        try run(["export", "--full", "--ca", caPath, path("full.cert"), "--firmware", sim])
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path("full.cert")))), chain + ca)

        // Every link verifies, the OCA's self-signature included; only the root is not AMD's.
        let certs = (0..<4).map { Array(chain[$0 * 2084..<($0 + 1) * 2084]) }
        func ecdsa(_ c: [UInt8]) -> String { Self.hex(SHA256.hash(data: c[0..<0x414])) }
        let ask = Array(ca[0..<(ca.count / 2)]), ark = Array(ca[(ca.count / 2)...])
        func rsa(_ c: [UInt8]) -> String { Self.hex(SHA256.hash(data: c.dropLast(256))) }
        let tree = """
            PDH EP384 D256 \(ecdsa(certs[0]))
             ⬑ PEK EP384 E256 \(ecdsa(certs[1]))
               •⬑ OCA EP384 E256 \(ecdsa(certs[2]))
                ⬑ CEK EP384 E256 \(ecdsa(certs[3]))
                   ⬑ ASK R2048 R256 \(rsa(ask))
                     •⬑ ARK R2048 R256 \(rsa(ark))

             • = self signed, ⬑ = signs, •̷ = invalid self sign, ⬑̸ = invalid signs

            """
        for arguments in [["verify", "--sev", path("chain.cert"), "--ca", caPath], ["verify", "--sev", path("full.cert")]] {
            let verify = try Subprocess.sevhost(arguments)
            XCTAssertEqual(verify.stdout, tree)
            XCTAssertEqual(verify.status, 1)
            XCTAssertEqual(
                verify.stderr,
                "sevhost: SEV/CA certificate verification failed: the ARK is not a known AMD root key (SHA-256 of its encoding matches no published ARK)\n")
        }

        // A second owner is refused by the firmware, with the status named.
        let again = try Subprocess.sevhost(["provision", path("oca.cert"), path("oca.key"), "--firmware", sim, "--yes"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(
            again.stderr,
            "sevhost: PEK_CERT_IMPORT failed: firmware status 0x0005 ALREADY_OWNED: the platform is already owned by an external OCA; reset it first\n")

        try run(["reset", "--firmware", sim, "--yes"])
        XCTAssertEqual(try run(["show", "flags", "--firmware", sim]).stdout, "owner: self\nsev-es: initialized\n")
        try run(["export", path("after-reset.cert"), "--firmware", sim])
        let reset = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("after-reset.cert"))))
        XCTAssertNotEqual(Array(reset[4168..<6252]), oca)
        XCTAssertEqual(Array(reset[6252...]), Array(chain[6252...]), "the CEK survives a reset")
    }

    /// sevctl's OCA key files: `sevctl generate` writes OpenSSL's i2d_PrivateKey (SEC1 DER for an
    /// EC key) and `sevctl provision` reads d2i_AutoPrivateKey (SEC1 or PKCS#8 DER). OpenSSL
    /// itself is the peer: its SEC1 and PKCS#8 DER of sevhost's key provision, and sevhost's
    /// DER is what OpenSSL writes, byte for byte.
    func testOCAKeysInSevctlsDER() throws {
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        try run(["generate", path("oca.cert"), path("oca.der")])
        let der = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("oca.der"))))
        XCTAssertEqual(der.first, 0x30, "DER, not PEM, for a name ending in .der")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path("oca.der"))[.posixPermissions] as? Int, 0o600)
        let rewrite = try Subprocess.run(openssl, ["ec", "-inform", "DER", "-in", path("oca.der"), "-outform", "DER", "-out", path("openssl.der")])
        XCTAssertEqual(rewrite.status, 0, rewrite.stderr)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path("openssl.der")))), der, "OpenSSL writes the same SEC1 DER")
        try run(["generate", path("pem.cert"), path("pem.key")])
        try run(["generate", path("explicit.cert"), path("explicit.key"), "--key-encoding", "der"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("explicit.key"))).first, 0x30)

        // OpenSSL's SEC1 DER (sevctl's own format) and PKCS#8 DER of the PEM key.
        let sec1 = try Subprocess.run(openssl, ["ec", "-in", path("pem.key"), "-outform", "DER", "-out", path("sec1.der")])
        XCTAssertEqual(sec1.status, 0, sec1.stderr)
        let pkcs8 = try Subprocess.run(openssl, ["pkcs8", "-topk8", "-nocrypt", "-in", path("pem.key"), "-outform", "DER", "-out", path("pkcs8.der")])
        XCTAssertEqual(pkcs8.status, 0, pkcs8.stderr)
        try run(["provision", path("pem.cert"), path("sec1.der"), "--firmware", sim, "--yes"])
        try run(["reset", "--firmware", sim, "--yes"])
        try run(["provision", path("pem.cert"), path("pkcs8.der"), "--firmware", sim, "--yes"])
        try run(["reset", "--firmware", sim, "--yes"])
        try run(["provision", path("oca.cert"), path("oca.der"), "--firmware", sim, "--yes"])
        try run(["export", path("chain.cert"), "--firmware", sim])
        XCTAssertEqual(Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: path("chain.cert"))))[4168..<6252]),
                       [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("oca.cert")))))

        try Data([0x30, 0x03, 0x02, 0x01, 0x01]).write(to: URL(fileURLWithPath: path("bad.der")))
        let bad = try Subprocess.sevhost(["provision", path("oca.cert"), path("bad.der"), "--firmware", sim, "--yes"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "sevhost: \(path("bad.der")): not a P-384 private key in PEM or DER (PKCS#8 or SEC1)\n")
    }

    func testProvisionRejectsAKeyThatIsNotTheOCAs() throws {
        try run(["generate", path("a.cert"), path("a.key")])
        try run(["generate", path("b.cert"), path("b.key")])
        let result = try Subprocess.sevhost(["provision", path("a.cert"), path("b.key"), "--firmware", sim, "--yes"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: \(path("b.key")): the private key does not belong to the OCA in \(path("a.cert"))\n")
    }

    func testRotateChangesThePDHOnly() throws {
        try run(["export", path("1.cert"), "--firmware", sim])
        try run(["rotate", "--firmware", sim, "--yes"])
        try run(["export", path("2.cert"), "--firmware", sim])
        let one = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("1.cert"))))
        let two = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("2.cert"))))
        XCTAssertNotEqual(Array(one[0..<2084]), Array(two[0..<2084]))
        XCTAssertEqual(Array(one[2084...]), Array(two[2084...]))
    }

    /// snp config set / reset / commit, seen through `show tcb` and the `ok` TCB comparison.
    func testSNPConfigAndCommitChangeTheReportedTCB() throws {
        func tcb() throws -> String { try run(["show", "tcb", "--firmware", sim]).stdout }
        let platform = "Platform TCB: bootloader 3, tee 0, snp 22, microcode 213 (0xd516000000000003)\n"
        XCTAssertEqual(try tcb(), platform + "Reported TCB: bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)\n")

        try run(["snp", "config", "set", "2", "0", "10", "200", "--mask-chip-id", "--firmware", sim])
        XCTAssertEqual(try tcb(), platform + "Reported TCB: bootloader 2, tee 0, snp 10, microcode 200 (0xc80a000000000002)\n")
        XCTAssertTrue(try run(["show", "snp-status", "--firmware", sim]).stdout.contains("Mask chip ID: yes\n"))

        let over = try Subprocess.sevhost(["snp", "config", "set", "3", "0", "23", "213", "--firmware", sim])
        XCTAssertEqual(over.status, 1)
        XCTAssertEqual(over.stderr, "sevhost: SNP_SET_CONFIG failed: firmware status 0x0016 INVALID_PARAM: a parameter of the command is invalid\n")
        let fmc = try Subprocess.sevhost(["snp", "config", "set", "3", "0", "14", "209", "--fmc", "1", "--firmware", sim])
        XCTAssertEqual(fmc.stderr, "sevhost: --fmc: this platform's TCB (Milan/Genoa layout) has no FMC level\n")

        try run(["snp", "config", "reset", "--firmware", sim])
        XCTAssertEqual(try tcb(), platform + "Reported TCB: bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)\n")

        let milan = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
        func compareLine() throws -> String? {
            let ok = try Subprocess.sevhost(["ok", "snp", "--host-root", milan, "--firmware", sim])
            return ok.stdout.split(separator: "\n").first { $0.contains("Comparing TCB values") }.map(String.init)
        }
        XCTAssertEqual(
            try compareLine(),
            "[ FAIL ] - Comparing TCB values: The TCB versions did NOT match (platform: bootloader 3, tee 0, snp 22, microcode 213; reported: bootloader 3, tee 0, snp 14, microcode 209)")

        try run(["snp", "commit", "--firmware", sim, "--yes"])
        XCTAssertEqual(try tcb(), platform + platform.replacingOccurrences(of: "Platform", with: "Reported"))
        XCTAssertEqual(
            try compareLine(),
            "[ PASS ] - Comparing TCB values: TCB versions match (platform and reported: bootloader 3, tee 0, snp 22, microcode 213)")
    }

    /// `ok --firmware sim:DIR` takes PLATFORM_STATUS and SNP_PLATFORM_STATUS from the simulated
    /// firmware, over a captured host for everything else.
    func testOkAsksTheSimulatedFirmware() throws {
        let milan = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
        let ok = try Subprocess.sevhost(["ok", "snp", "--host-root", milan, "--firmware", sim])
        let lines = ok.stdout.split(separator: "\n").map(String.init)
        for expected in [
            "[ PASS ]     - SEV firmware version: 1.55",
            "[ PASS ]       - SEV-ES initialized",
            "[ PASS ]     - SEV initialized: Initialized, no guests running",
            "[ PASS ]       - SNP initialized",
            "[ PASS ]         - RMP table initialized",
            "[ PASS ]         - Alias check: Completed since last system update, no aliasing addresses",
        ] {
            XCTAssertTrue(lines.contains(expected), "missing: \(expected)\n\(ok.stdout)")
        }
        // A simulated state that is not a state: every firmware check says why, in one line.
        try FileManager.default.createDirectory(atPath: simDirectory, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: simDirectory + "/firmware-state.json"))
        let broken = try Subprocess.sevhost(["ok", "snp", "--host-root", milan, "--firmware", sim])
        XCTAssertTrue(broken.stdout.split(separator: "\n").contains(
            "[ FAIL ]     - SEV firmware version: Failed to get SEV Platform Status: \(simDirectory)/firmware-state.json: not a simulated firmware state: missing key \"api-major\""),
            broken.stdout)
    }

    func testCertificateTableImportExport() throws {
        let certs = path("in")
        try FileManager.default.createDirectory(atPath: certs, withIntermediateDirectories: true)
        let ark: [UInt8] = [0x30, 0x03, 0x01, 0x02, 0x03]
        let vcek: [UInt8] = [0x30, 0x01, 0x09]
        try Data(ark).write(to: URL(fileURLWithPath: certs + "/ark.der"))
        let pem = "-----BEGIN CERTIFICATE-----\n\(Data(vcek).base64EncodedString())\n-----END CERTIFICATE-----\n"
        try Data(pem.utf8).write(to: URL(fileURLWithPath: certs + "/vcek.pem"))

        try run(["snp", "certs", "import", certs, "--firmware", sim])
        try run(["snp", "certs", "export", path("out"), "--firmware", sim])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), ["ark.der", "vcek.der"])
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path("out/ark.der")))), ark)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path("out/vcek.der")))), vcek)

        // To and from a table file, in the GHCB layout.
        try run(["snp", "certs", "import", certs, "--table", path("table.bin")])
        let table = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("table.bin"))))
        let arkGUID: [UInt8] = [0xC0, 0xB4, 0x06, 0xA4, 0xA8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3F, 0xB6, 0x01, 0x4C, 0xD0, 0xAE]
        let vcekGUID: [UInt8] = [0x63, 0xDA, 0x75, 0x8D, 0xE6, 0x64, 0x45, 0x64, 0xAD, 0xC5, 0xF4, 0xB9, 0x3B, 0xE8, 0xAC, 0xCD]
        XCTAssertEqual(
            table,
            arkGUID + [72, 0, 0, 0, 5, 0, 0, 0] + vcekGUID + [77, 0, 0, 0, 3, 0, 0, 0] + [UInt8](repeating: 0, count: 24) + ark + vcek)
        try run(["snp", "certs", "export", "--table", path("table.bin"), "--pem", path("pem")])
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path("pem/vcek.pem"))), as: UTF8.self), pem)

        // A VLEK host's ASVK goes into the ASK's entry; a file the table does not take is named, not dropped silently.
        let vlekCerts = path("vlek-in")
        try FileManager.default.createDirectory(atPath: vlekCerts, withIntermediateDirectories: true)
        let asvk: [UInt8] = [0x30, 0x01, 0x07]
        try Data(ark).write(to: URL(fileURLWithPath: vlekCerts + "/ark.der"))
        try Data(asvk).write(to: URL(fileURLWithPath: vlekCerts + "/asvk.der"))
        try Data(vcek).write(to: URL(fileURLWithPath: vlekCerts + "/vcek_milan.der"))
        let vlekImport = try Subprocess.sevhost(["snp", "certs", "import", vlekCerts, "--table", path("vlek-table.bin")])
        XCTAssertEqual(vlekImport.status, 0, vlekImport.stderr)
        XCTAssertEqual(vlekImport.stdout, "")
        XCTAssertEqual(vlekImport.stderr, "sevhost: warning: \(vlekCerts)/vcek_milan.der: ignored: not one of ark, ask, asvk, vcek, vlek (.der, .pem, .crt or .cer)\n")
        let askGUID: [UInt8] = [0x4A, 0xB7, 0xB3, 0x79, 0xBB, 0xAC, 0x4F, 0xE4, 0xA0, 0x2F, 0x05, 0xAE, 0xF3, 0x27, 0xC7, 0x82]
        XCTAssertEqual(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("vlek-table.bin")))),
            arkGUID + [72, 0, 0, 0, 5, 0, 0, 0] + askGUID + [77, 0, 0, 0, 3, 0, 0, 0] + [UInt8](repeating: 0, count: 24) + ark + asvk)

        let empty = try Subprocess.sevhost(["snp", "certs", "import", path("nothing"), "--firmware", sim])
        XCTAssertEqual(empty.stderr, "sevhost: \(path("nothing")): holds none of ark, ask, vcek, vlek (.der, .pem, .crt or .cer)\n")
    }
}
