import Foundation
import SEVTestSupport
import XCTest

/// `sevhost fetch` and `report verify --fetch` against a KDS-compatible server on loopback, given
/// as a mirror with `--kds-url` or `SEVHOST_KDS_URL`.
final class FetchCommandTests: XCTestCase {
    static let milanChip = "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6"

    private var server: LocalKDSServer!
    private var temp: URL!

    override func setUpWithError() throws {
        server = try LocalKDSServer(routes: [
            "/vcek/v1/Milan/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan"), throttle: 1, retryAfter: "0"),
            "/vcek/v1/Milan/\(Self.milanChip)?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115": .init(file: try TestData.url("virtee-sev/tests/certs_data/vcek_milan.der")),
            "/vlek/v1/Turin/cert_chain": .init(file: try TestData.url("google-go-sev-guest/verify/trust/ask_ark_turin_vlek.pem")),
            // A mirror that serves Genoa's path with Milan's chain: the pin must refuse it.
            "/vcek/v1/Genoa/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan")),
        ])
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("snp-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    private var cacheArgs: [String] { ["--cache-dir", temp.appendingPathComponent("cache").path] }

    func testFetchCAThroughTheMirrorOptionWithRetry() throws {
        let out = temp.appendingPathComponent("out")
        let r = try Subprocess.sevhost(["fetch", "ca", "milan", "--kds-url", server.baseURL, "--out", out.path] + cacheArgs)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(out.path)/ark.pem\n\(out.path)/ask.pem\n")
        XCTAssertTrue(r.stderr.contains("kds: HTTP 429, retrying in 0s"), r.stderr)
        let chain = try String(contentsOf: TestData.url("virtee-sev/tests/certs_data/cert_chain_milan"), encoding: .utf8)
        let ask = try String(contentsOf: out.appendingPathComponent("ask.pem"), encoding: .utf8)
        let ark = try String(contentsOf: out.appendingPathComponent("ark.pem"), encoding: .utf8)
        XCTAssertEqual(ask + ark, chain)
        // Second run: served from the cache.
        let again = try Subprocess.sevhost(["fetch", "ca", "milan", "--kds-url", server.baseURL, "--out", out.path] + cacheArgs)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("kds: cache hit"), again.stderr)
        XCTAssertEqual(try server.requests(), ["/vcek/v1/Milan/cert_chain", "/vcek/v1/Milan/cert_chain"])
    }

    func testFetchVLEKChainThroughTheEnvironmentMirror() throws {
        let out = temp.appendingPathComponent("vlek")
        let r = try Subprocess.sevhost(["fetch", "vlek", "turin", "--out", out.path, "--encoding", "der", "--no-cache"],
                                       environment: ["SEVHOST_KDS_URL": server.baseURL])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(out.path)/ark.der\n\(out.path)/asvk.der\n")
        XCTAssertEqual(try server.requests(), ["/vlek/v1/Turin/cert_chain"])
    }

    func testFetchVCEKFromAReport() throws {
        let out = temp.appendingPathComponent("vcek")
        let r = try Subprocess.sevhost(["fetch", "vcek", "--report", try TestData.url("virtee-sev/tests/certs_data/report_milan.hex").path,
                                        "--product", "milan", "--kds-url", server.baseURL, "--out", out.path, "--encoding", "der"] + cacheArgs)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("vcek.der")),
                       try Data(contentsOf: TestData.url("virtee-sev/tests/certs_data/vcek_milan.der")))
    }

    /// A download that takes longer than a second (here KDS asks for two seconds' patience)
    /// is shown going on a terminal, erased at the end; not with -q, nor with TERM=dumb.
    func testALongDownloadShowsProgressOnATerminalOnly() throws {
        // Each run with its own server: the first request gets the 429.
        func onTerminal(term: String, _ extra: String = "") throws -> String {
            let slow = try LocalKDSServer(routes: [
                "/vcek/v1/Milan/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan"), throttle: 1, retryAfter: "2"),
            ])
            defer { slow.stop() }
            let out = temp.appendingPathComponent("out-\(term)\(extra)")
            let result = try Subprocess.sevhostOnTerminal(
                "fetch ca milan --kds-url \(slow.baseURL) --no-cache --out \(out.path) \(extra)", environment: ["TERM": term])
            XCTAssertEqual(result.status, 0, result.stdout)
            return result.stdout
        }
        let shown = try onTerminal(term: "xterm")
        XCTAssertTrue(shown.contains("\rfetching the Milan certificate chain from KDS (1 s)"), shown)
        XCTAssertTrue(shown.contains("\r\u{1B}[K"), shown)
        XCTAssertTrue(shown.contains("kds: HTTP 429, retrying in 2s"), shown)
        let dumb = try onTerminal(term: "dumb")
        XCTAssertFalse(dumb.contains("fetching"), dumb)
        XCTAssertTrue(dumb.contains("kds: HTTP 429, retrying in 2s"), dumb)
        let quiet = try onTerminal(term: "xterm", "-q")
        let out = temp.appendingPathComponent("out-xterm-q").path
        XCTAssertEqual(quiet, "\(out)/ark.pem\r\n\(out)/ask.pem\r\n")
    }

    func testNotFoundAndUnpinnedRootWriteNothing() throws {
        let out = temp.appendingPathComponent("none")
        let missing = try Subprocess.sevhost(["fetch", "ca", "turin", "--kds-url", server.baseURL, "--out", out.path, "--quiet"] + cacheArgs)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "sevhost: KDS has nothing at \(server.baseURL)/vcek/v1/Turin/cert_chain (HTTP 404): check the product, chip id and TCB\n")
        let forged = try Subprocess.sevhost(["fetch", "ca", "genoa", "--kds-url", server.baseURL, "--out", out.path, "--quiet"] + cacheArgs)
        XCTAssertEqual(forged.status, 2)
        XCTAssertEqual(forged.stderr, "sevhost: KDS answer refused: holds AMD's Milan ARK, not the Genoa one\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("ark.pem").path))
    }

    func testOfflineIsOneClearLine() throws {
        let r = try Subprocess.sevhost(["fetch", "ca", "milan", "--kds-url", "http://127.0.0.1:1", "--out", temp.path, "--no-cache", "--quiet"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("sevhost: cannot reach KDS at 127.0.0.1 ("), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
    }

    func testReportVerifyFetchesOnlyWhenAsked() throws {
        let empty = temp.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let report = try TestData.url("virtee-sev/tests/certs_data/report_milan.hex").path
        let without = try Subprocess.sevhost(["report", "verify", report, "--certs", empty.path, "--kds-url", server.baseURL])
        XCTAssertEqual(without.status, 1)
        XCTAssertEqual(without.stderr, "sevhost: \(empty.path): no certificates found (add ARK, ASK and VCEK, or pass --fetch)\n")
        XCTAssertEqual(try server.requests(), [])
        let with = try Subprocess.sevhost(["report", "verify", report, "--certs", empty.path, "--fetch", "--product", "milan",
                                           "--kds-url", server.baseURL] + cacheArgs)
        XCTAssertEqual(with.status, 0, with.stdout + with.stderr)
        XCTAssertTrue(with.stdout.hasSuffix("VALID (16 checks passed)\n"), with.stdout)  // with expected-product
    }

    /// `--timeout`: a server that takes the connection and never answers fails the fetch with
    /// the reason, instead of holding it for the default 30 s.
    func testTimeoutEndsADownloadThatNeverAnswers() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        XCTAssertTrue(bound)
        XCTAssertEqual(listen(fd, 8), 0)   // connections complete in the kernel; nothing ever reads them
        let url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let r = try Subprocess.sevhost(["fetch", "ca", "milan", "--kds-url", url, "--no-cache", "--timeout", "0.5", "--out", temp.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.lowercased().contains("timed out") || r.stderr.lowercased().contains("timeout"), r.stderr)
        let zero = try Subprocess.sevhost(["fetch", "ca", "milan", "--timeout", "0"])
        XCTAssertEqual(zero.status, 64)
        XCTAssertTrue(zero.stderr.hasPrefix("sevhost: --timeout 0.0: expected a positive number of seconds"), zero.stderr)
    }
}
