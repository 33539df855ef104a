import Foundation
import SEVTestSupport
import XCTest

/// `sevhost verify --sev CHAIN` and `export --full` without `--ca`: AMD's `ask_ark_<product>.cert`
/// downloaded from a mirror on loopback (`--ca-url`, `SEVHOST_AMD_CA_URL`) serving files made from
/// the pool's real ASKs and ARKs, checked against the real Naples and Rome platform chains.
final class AMDCADownloadCLITests: XCTestCase {
    private var temp: URL!
    private var server: LocalKDSServer?

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-amdca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    private var cacheDir: String { temp.appendingPathComponent("cache").path }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = temp.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private static func caBytes(_ product: String) throws -> [UInt8] {
        try TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/ask.cert")
            + TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/ark.cert")
    }

    private func platformChain(_ product: String) throws -> String {
        try write("\(product).chain", try ["pdh", "pek", "oca", "cek"].flatMap { try TestData.bytes("virtee-sev/tests/\(product)/\($0).cert") })
    }

    /// Serves `files` (product → file) at `/sev/ask_ark_<product>.cert`; returns the base URL.
    private func serve(_ files: [String: URL]) throws -> String {
        let server = try LocalKDSServer(routes: files.reduce(into: [:]) { $0["/sev/ask_ark_\($1.key).cert"] = .init(file: $1.value) })
        self.server = server
        return server.baseURL + "/sev"
    }

    private func serveAMDFiles() throws -> String {
        try serve(try ["naples", "rome", "milan", "genoa"].reduce(into: [String: URL]()) {
            $0[$1] = URL(fileURLWithPath: try write("ask_ark_\($1).cert", try Self.caBytes($1)))
        })
    }

    private static func untimed(_ text: String) -> String {
        text.replacing(/after \d+ ms/, with: "after N ms")
    }

    // MARK: acceptance

    func testVerifyDownloadsTheChainWhoseASKSignsTheCEK() throws {
        let base = try serveAMDFiles()
        let chain = try platformChain("rome")
        let result = try Subprocess.sevhost(["verify", "--sev", chain, "--ca-url", base, "--cache-dir", cacheDir])
        XCTAssertEqual(result.status, 0, result.stderr)
        // The same tree as with AMD's file given by hand.
        let byHand = try Subprocess.sevhost(["verify", "--sev", chain, "--ca", temp.appendingPathComponent("ask_ark_rome.cert").path])
        XCTAssertEqual(byHand.status, 0, byHand.stderr)
        XCTAssertEqual(result.stdout, byHand.stdout)
        XCTAssertEqual(result.stderr, """
            amd-ca: GET \(base)/ask_ark_naples.cert
            amd-ca: 200 1664 bytes
            amd-ca: cached \(cacheDir)/ask_ark_naples.cert
            amd-ca: GET \(base)/ask_ark_rome.cert
            amd-ca: 200 3200 bytes
            amd-ca: cached \(cacheDir)/ask_ark_rome.cert
            amd-ca: the CEK is signed by AMD's Rome ASK (\(base)/ask_ark_rome.cert)

            """)
        XCTAssertEqual(try server?.requests(), ["/sev/ask_ark_naples.cert", "/sev/ask_ark_rome.cert"])
    }

    func testTheEnvironmentMirrorAndProductPickTheFileDirectly() throws {
        let base = try serveAMDFiles()
        let chain = try platformChain("naples")
        let result = try Subprocess.sevhost(
            ["verify", "--sev", chain, "--product", "naples", "--no-cache", "--quiet"], environment: ["SEVHOST_AMD_CA_URL": base])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(try server?.requests(), ["/sev/ask_ark_naples.cert"])

        let wrong = try Subprocess.sevhost(["verify", "--sev", chain, "--product", "milan", "--ca-url", base, "--no-cache", "-q"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stdout, "")
        XCTAssertEqual(wrong.stderr, """
            sevhost: \(base)/ask_ark_milan.cert: AMD's Milan ASK does not sign the CEK: the CEK carries no ASK signature (RSA-SHA384); \
            pass AMD's CA chain (ASK then ARK) with --ca

            """)
    }

    /// `sevhost session` verifies a platform chain's PDH up to AMD's root the same way.
    func testSessionDownloadsTheChainToVerifyThePDH() throws {
        let base = try serveAMDFiles()
        let out = temp.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let result = try Subprocess.sevhost(
            ["session", try platformChain("rome"), "0x1", "--out", out.path, "--name", "g", "--product", "rome", "--ca-url", base, "--no-cache"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, """
            amd-ca: GET \(base)/ask_ark_rome.cert
            amd-ca: 200 3200 bytes
            amd-ca: the CEK is signed by AMD's Rome ASK (\(base)/ask_ark_rome.cert)

            """ + ["godh.b64", "session.b64", "tek.bin", "tik.bin"].map { "wrote \(out.path)/g_\($0)\n" }.joined())
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(),
            ["g_godh.b64", "g_session.b64", "g_tek.bin", "g_tik.bin"])
        XCTAssertEqual(try server?.requests(), ["/sev/ask_ark_rome.cert"])
    }

    // MARK: refusals

    func testAFileForAnotherProductIsSkipped() throws {
        let base = try serve([
            "naples": URL(fileURLWithPath: try write("milan-as-naples.cert", try Self.caBytes("milan"))),
            "rome": URL(fileURLWithPath: try write("rome.cert", try Self.caBytes("rome"))),
        ])
        let rome = try Subprocess.sevhost(["verify", "--sev", try platformChain("rome"), "--ca-url", base, "--cache-dir", cacheDir, "-q"])
        XCTAssertEqual(rome.status, 0, rome.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cacheDir), ["ask_ark_rome.cert"])

        let naples = try Subprocess.sevhost(["verify", "--sev", try platformChain("naples"), "--ca-url", base, "--cache-dir", cacheDir, "-q"])
        XCTAssertEqual(naples.status, 1)
        XCTAssertEqual(naples.stderr, """
            sevhost: no AMD CA chain signs the CEK (\(base)/ask_ark_naples.cert: holds AMD's Milan ARK, not the Naples one; \
            \(base)/ask_ark_rome.cert: AMD's Rome ASK does not sign the CEK: the CEK carries no ASK signature (RSA-SHA384); \
            \(base)/ask_ark_milan.cert: HTTP 404; \(base)/ask_ark_genoa.cert: HTTP 404); pass AMD's CA chain (ASK then ARK) with --ca

            """)
    }

    /// The simulated firmware's CA signs its CEK and every link holds; only its root is not
    /// AMD's, and a downloaded chain with that root is refused, by `verify` and `export --full`.
    func testTheSimulatorsSelfConsistentChainIsRefused() throws {
        let simDir = temp.appendingPathComponent("fw").path
        let chain = temp.appendingPathComponent("sim.chain").path
        let export = try Subprocess.sevhost(["export", chain, "--firmware", "sim:" + simDir])
        XCTAssertEqual(export.status, 0, export.stderr)
        let simCA = URL(fileURLWithPath: simDir + "/ask_ark.cert")
        let base = try serve(["naples": simCA, "rome": simCA, "milan": simCA, "genoa": simCA])
        let refusal = """
            no AMD CA chain signs the CEK (\(base)/ask_ark_naples.cert: the ARK is not one of AMD's published roots; \
            \(base)/ask_ark_rome.cert: the ARK is not one of AMD's published roots; \
            \(base)/ask_ark_milan.cert: the ARK is not one of AMD's published roots; \
            \(base)/ask_ark_genoa.cert: the ARK is not one of AMD's published roots); pass AMD's CA chain (ASK then ARK) with --ca
            """

        let verify = try Subprocess.sevhost(["verify", "--sev", chain, "--ca-url", base, "--cache-dir", cacheDir, "--quiet"])
        XCTAssertEqual(verify.status, 1)
        XCTAssertEqual(verify.stdout, "")
        XCTAssertEqual(verify.stderr, "sevhost: \(refusal)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheDir), "nothing refused is cached")

        let full = temp.appendingPathComponent("full.cert").path
        let exportFull = try Subprocess.sevhost(["export", "--full", full, "--firmware", "sim:" + simDir, "--ca-url", base, "--no-cache"])
        XCTAssertEqual(exportFull.status, 1)
        XCTAssertTrue(exportFull.stderr.hasSuffix("sevhost: \(refusal)\n"), exportFull.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: full))
    }

    func testHTTP404AndAServerThatIsDownGiveOneLineNamingTheURL() throws {
        let base = try serve(["naples": URL(fileURLWithPath: try write("naples.cert", try Self.caBytes("naples")))])
        let chain = try platformChain("rome")
        let missing = try Subprocess.sevhost(["verify", "--sev", chain, "--product", "rome", "--ca-url", base, "--no-cache", "-q"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "sevhost: \(base)/ask_ark_rome.cert: HTTP 404; pass AMD's CA chain (ASK then ARK) with --ca\n")

        let port = try XCTUnwrap(server).port
        server?.stop()
        let down = try Subprocess.sevhost(["verify", "--sev", chain, "--ca-url", base, "--no-cache", "-q"])
        XCTAssertEqual(down.status, 1)
        XCTAssertEqual(down.stdout, "")
        XCTAssertEqual(Self.untimed(down.stderr), """
            sevhost: \(base)/ask_ark_naples.cert: unreachable (Failed to connect to 127.0.0.1 port \(port) after N ms: Couldn't connect to server); \
            pass AMD's CA chain (ASK then ARK) with --ca, or point --ca-url or SEVHOST_AMD_CA_URL at a mirror

            """)
    }

    // MARK: cache

    func testTheCacheServesASecondRunAndATamperedEntryIsRefused() throws {
        let base = try serveAMDFiles()
        let chain = try platformChain("rome")
        let first = try Subprocess.sevhost(["verify", "--sev", chain, "--ca-url", base, "--cache-dir", cacheDir])
        XCTAssertEqual(first.status, 0, first.stderr)
        server?.stop()

        let second = try Subprocess.sevhost(["verify", "--sev", chain, "--ca-url", base, "--cache-dir", cacheDir])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stdout, first.stdout)
        XCTAssertEqual(second.stderr, """
            amd-ca: cache hit \(cacheDir)/ask_ark_naples.cert
            amd-ca: cache hit \(cacheDir)/ask_ark_rome.cert
            amd-ca: the CEK is signed by AMD's Rome ASK (\(base)/ask_ark_rome.cert)

            """)

        // One byte of the cached ARK changed (a reserved byte: the file still parses).
        let cached = URL(fileURLWithPath: cacheDir + "/ask_ark_rome.cert")
        var bytes = [UInt8](try Data(contentsOf: cached))
        bytes[1600 + 40] ^= 0x01
        try Data(bytes).write(to: cached)
        let tampered = try Subprocess.sevhost(["verify", "--sev", chain, "--ca-url", base, "--cache-dir", cacheDir, "--product", "rome"])
        XCTAssertEqual(tampered.status, 1)
        XCTAssertEqual(tampered.stdout, "")
        let lines = Self.untimed(tampered.stderr).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, [
            "amd-ca: ignoring cache entry \(cached.path): the ARK is not one of AMD's published roots",
            "amd-ca: GET \(base)/ask_ark_rome.cert",
            "sevhost: \(base)/ask_ark_rome.cert: unreachable (Failed to connect to 127.0.0.1 port \(try XCTUnwrap(server).port) after N ms: Couldn't connect to server); "
                + "pass AMD's CA chain (ASK then ARK) with --ca, or point --ca-url or SEVHOST_AMD_CA_URL at a mirror",
        ])
    }

    // MARK: options

    func testDownloadOptionsOnlyWhereADownloadHappens() throws {
        let chain = try platformChain("rome")
        let ca = try write("ask_ark_rome.cert", try Self.caBytes("rome"))
        let withCA = try Subprocess.sevhost(["verify", "--sev", chain, "--ca", ca, "--product", "rome"])
        XCTAssertEqual(withCA.status, 1)
        XCTAssertEqual(withCA.stderr, "sevhost: --product and --ca-url are only used when the CA chain is downloaded, not with --ca\n")

        let full = try write("full.chain", [UInt8](try Data(contentsOf: URL(fileURLWithPath: chain))) + (try Self.caBytes("rome")))
        let embedded = try Subprocess.sevhost(["verify", "--sev", full, "--ca-url", "http://127.0.0.1:9/"])
        XCTAssertEqual(embedded.status, 1)
        XCTAssertEqual(embedded.stderr, "sevhost: --product and --ca-url are only used when the CA chain is downloaded, and \(full) holds the ASK and ARK\n")

        let turin = try Subprocess.sevhost(["verify", "--sev", chain, "--product", "turin"])
        XCTAssertEqual(turin.status, 64)
        XCTAssertTrue(turin.stderr.hasPrefix(
            "sevhost: The value 'turin' is invalid for '--product <PRODUCT>': 'turin': expected naples, rome, milan or genoa (AMD publishes legacy CA chains for those)\n"),
            turin.stderr)

        let export = try Subprocess.sevhost(["export", "--product", "rome", temp.appendingPathComponent("x.cert").path, "--firmware", "sim:" + temp.path + "/fw"])
        XCTAssertEqual(export.status, 1)
        XCTAssertEqual(export.stderr, "sevhost: --product and --ca-url are only used with --full\n")
    }
}
