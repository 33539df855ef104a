import Foundation
import SEVTestSupport
import XCTest

/// snphost's VLEK commands against the simulated firmware: hashsticks wrapped for the
/// simulated chip by Python's `cryptography` (`make_hashstick.py`), fetched over mutual TLS from
/// a local server whose certificates `openssl` makes (`kds_mtls_server.py`).
final class VLEKCommandTests: XCTestCase {
    private var directory: URL!
    private var sim: String { "sim:" + path("fw") }
    /// The simulated firmware's reported TCB when fresh: bootloader 3, tee 0, snp 14, microcode 209.
    static let reported = "0xd10e000000000003"

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vlek-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        XCTAssertEqual(try Subprocess.sevhost(["show", "tcb", "--firmware", sim]).status, 0)
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func hashstick(_ name: String, tcb: String = reported, otherKey: Bool = false) throws -> String {
        let r = try Subprocess.run(try Peers.venvTool("python"), [
            PackageRoot.url.appendingPathComponent("Tests/Fixtures/make_hashstick.py").path, path("fw/firmware-state.json"), tcb, path(name),
        ] + (otherKey ? ["--other-key"] : []))
        XCTAssertEqual(r.status, 0, r.stderr)
        return path(name)
    }

    private func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let r = try Subprocess.sevhost(arguments)
        XCTAssertEqual(r.status, 0, "\(arguments.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        return r
    }

    func testVerifyAndLoadAHashstickThenCommitDeletesIt() throws {
        let good = try hashstick("good.bin")
        XCTAssertEqual(try run(["verify", "vlek-hashstick", good, "--firmware", sim]).stdout, """
            VLEK hashstick TCB: bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)
            reported TCB: bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)
            hashstick \(good): matches the reported TCB

            """)
        let other = try hashstick("other.bin", tcb: "0xd516000000000003")
        let mismatch = try Subprocess.sevhost(["verify", "vlek-hashstick", other, "--firmware", sim])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertEqual(mismatch.stderr, "sevhost: \(other): the hashstick is for TCB bootloader 3, tee 0, snp 22, microcode 213 (0xd516000000000003), the firmware reports bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)\n")

        // The firmware refuses another TCB's hashstick, and one this chip cannot unwrap.
        let svn = try Subprocess.sevhost(["snp", "vlek-load", other, "--firmware", sim])
        XCTAssertEqual(svn.stderr, "sevhost: SNP_VLEK_LOAD failed: firmware status 0x0021 BAD_SVN: the security version number is too low\n")
        let foreign = try Subprocess.sevhost(["snp", "vlek-load", try hashstick("foreign.bin", otherKey: true), "--firmware", sim])
        XCTAssertEqual(foreign.status, 1)
        XCTAssertEqual(foreign.stderr, "sevhost: SNP_VLEK_LOAD failed: firmware status 0x000A BAD_SIGNATURE: a signature does not verify\n")
        XCTAssertTrue(try run(["show", "snp-status", "--firmware", sim]).stdout.contains("VLEK enabled: no\n"))

        // Loaded under the table's lock, with its certificate into the table.
        try Data([0x30, 0x03, 0x01, 0x02, 0x03]).write(to: URL(fileURLWithPath: path("ark.der")))
        try FileManager.default.createDirectory(atPath: path("in"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path("ark.der"), toPath: path("in/ark.der"))
        try run(["snp", "certs", "import", path("in"), "--table", path("table.bin")])
        try Data([0x30, 0x01, 0x07]).write(to: URL(fileURLWithPath: path("vlek.der")))
        try run(["snp", "vlek-load", good, "--firmware", sim, "--table", path("table.bin"), "--vlek-cert", path("vlek.der")])
        XCTAssertTrue(try run(["show", "snp-status", "--firmware", sim]).stdout.contains("VLEK enabled: yes\n"))
        try run(["snp", "certs", "export", "--table", path("table.bin"), path("out")])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), ["ark.der", "vlek.der"])

        // SNP_COMMIT raises the reported TCB: the hashstick was for the old one, so the firmware
        // deletes the VLEK, and the table loses its entry.
        let commit = try run(["snp", "commit", "--yes", "--firmware", sim, "--table", path("table.bin")])
        XCTAssertEqual(commit.stderr, "\(path("table.bin")): removed vlek: issued for the TCB the firmware no longer reports (sevhostd, or snp certs import, puts the current ones in)\n")
        XCTAssertTrue(try run(["show", "snp-status", "--firmware", sim]).stdout.contains("VLEK enabled: no\n"))
    }

    func testBadHashsticksAreOneLine() throws {
        try Data(count: 100).write(to: URL(fileURLWithPath: path("short.bin")))
        let short = try Subprocess.sevhost(["snp", "vlek-load", path("short.bin"), "--firmware", sim])
        XCTAssertEqual(short.stderr, "sevhost: \(path("short.bin")), offset 100 (0x64): a wrapped VLEK hashstick is 432 bytes, this is 100\n")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try hashstick("r.bin"))))
        bytes[0x0d] = 1
        try Data(bytes).write(to: URL(fileURLWithPath: path("reserved.bin")))
        let reserved = try Subprocess.sevhost(["verify", "vlek-hashstick", path("reserved.bin"), "--firmware", sim])
        XCTAssertEqual(reserved.stderr, "sevhost: \(path("reserved.bin")), offset 12 (0xc): reserved bytes 0x0c-0x0f must be zero\n")
        let missing = try Subprocess.sevhost(["snp", "vlek-load", path("none.bin"), "--firmware", sim])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1)
        XCTAssertEqual(try Subprocess.sevhost(["snp", "vlek-load", path("r.bin"), "--vlek-cert", path("x"), "--firmware", sim]).stderr,
                       "sevhost: certificate \(path("x")): No such file or directory\n")
    }

    func testVLEKAndHashsticksURLsAsSnphostPrintsThem() throws {
        XCTAssertEqual(try run(["show", "vlek-url", "--firmware", sim]).stdout,
                       "https://kdsintf.amd.com:444/vlek/v1/Milan/cert?blSPL=03&teeSPL=00&snpSPL=14&ucodeSPL=209\n")
        XCTAssertEqual(try run(["show", "hashsticks-url", "--firmware", sim, "--kds-url", "https://mirror:444/"]).stdout,
                       "https://mirror:444/vlek/v1/Milan/hash_sticks?blSPL=03&teeSPL=00&snpSPL=14&ucodeSPL=209\n")
    }

    /// `fetch hashsticks` over mutual TLS: the local server (certificates from `openssl`) asks for
    /// a client certificate; with the provider's, the chip's hashstick is saved and loads.
    func testFetchHashsticksOverMutualTLS() throws {
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        func ssl(_ arguments: [String]) throws {
            let r = try Subprocess.run(openssl, arguments)
            XCTAssertEqual(r.status, 0, "openssl \(arguments.joined(separator: " ")): \(r.stderr)")
        }
        try ssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=Test KDS CA",
                 "-keyout", path("ca.key"), "-out", path("ca.pem")])
        for (name, cn, ext) in [("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1"), ("client", "Test CSP", "extendedKeyUsage=clientAuth")] {
            try ext.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            try ssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(cn)",
                     "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
            try ssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                     "-days", "2", "-extfile", path("\(name).ext"), "-out", path("\(name).pem")])
        }
        // A provider certificate KDS never issued: self-signed.
        try ssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=Stranger",
                 "-keyout", path("stranger.key"), "-out", path("stranger.pem")])
        let stick = try hashstick("kds-stick.bin")
        let server = Process()
        server.executableURL = try Peers.venvTool("python")
        server.arguments = [PackageRoot.url.appendingPathComponent("Tests/Fixtures/kds_mtls_server.py").path,
                            path("server.pem"), path("server.key"), path("ca.pem"), stick, path("server.log")]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var printed = Data()
        while !printed.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        let first = String(decoding: printed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try XCTUnwrap(Int(first.dropFirst(5)), first)
        let base = "https://127.0.0.1:\(port)"

        let chip = try run(["show", "identifier", "--firmware", sim]).stdout.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let fetched = try run(["fetch", "hashsticks", path("sticks"), path("client.pem"), path("client.key"), "--firmware", sim,
                               "--kds-url", base, "--ca-file", path("ca.pem")])
        XCTAssertEqual(fetched.stdout, path("sticks/hashsticks") + "\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("sticks/hashsticks"))), try Data(contentsOf: URL(fileURLWithPath: stick)))
        let logged = try String(contentsOfFile: path("server.log"), encoding: .utf8).split(separator: "\n")
        let request = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(logged[0].utf8)) as? [String: String])
        XCTAssertEqual(request["path"], "/vlek/v1/Milan/hash_sticks?blSPL=03&teeSPL=00&snpSPL=14&ucodeSPL=209")
        XCTAssertEqual(request["body"], #"{"hwids":["\#(chip)"]}"#)
        XCTAssertEqual(request["client"], "Test CSP")
        XCTAssertEqual(request["type"], "application/json")
        try run(["snp", "vlek-load", path("sticks/hashsticks"), "--firmware", sim])

        // KDS has none for this chip; and without the client certificate there is no TLS session.
        let none = try Subprocess.sevhost(["fetch", "hashsticks", path("none"), path("client.pem"), path("client.key"), "--firmware", sim,
                                           "--kds-url", base, "--ca-file", path("ca.pem"), "--hwid", String(repeating: "00", count: 64)])
        XCTAssertEqual(none.stderr, "sevhost: \(base)/vlek/v1/Milan/hash_sticks?blSPL=03&teeSPL=00&snpSPL=14&ucodeSPL=209: KDS has no hashstick for chip 0000000000000000… at this TCB\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("none/hashsticks")))
        let stranger = try Subprocess.sevhost(["fetch", "hashsticks", path("x"), path("stranger.pem"), path("stranger.key"), "--firmware", sim,
                                               "--kds-url", base, "--ca-file", path("ca.pem")])
        XCTAssertEqual(stranger.status, 1)
        XCTAssertTrue(stranger.stderr.hasPrefix("sevhost: cannot reach \(base)/vlek/v1/Milan/hash_sticks?"), stranger.stderr)
        XCTAssertEqual(stranger.stderr.split(separator: "\n").count, 1, stranger.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x/hashsticks")))
        XCTAssertEqual(try String(contentsOfFile: path("server.log"), encoding: .utf8).split(separator: "\n").count, 2, "the stranger's request never reached the server")
        let noCert = try Subprocess.sevhost(["fetch", "hashsticks", path("x"), path("missing.pem"), path("client.key"), "--firmware", sim,
                                             "--kds-url", base, "--ca-file", path("ca.pem")])
        XCTAssertEqual(noCert.stderr, "sevhost: \(path("missing.pem")): cannot read the client certificate\n")
    }
}
