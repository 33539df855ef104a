import Foundation
import Orchestration
import SEVTestSupport
import XCTest

/// sevhostd's KDS cache, end to end: the daemon in front of a KDS-compatible server on loopback
/// serving AMD's real Milan chain and VCEK from the test-data pool, asked by the CLI and by
/// plain HTTP in snpguest's and go-sev-guest's URL forms.
final class KDSCacheTests: XCTestCase {
    static let chip = "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6"
    /// go-sev-guest's form (`kds.VCEKCertURL`): plain decimals.
    static let goSevGuestPath = "/vcek/v1/Milan/\(chip)?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115"
    /// snpguest's form: SPLs padded to two digits.
    static let snpguestPath = "/vcek/v1/Milan/\(chip)?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115"
    static let chainPath = "/vcek/v1/Milan/cert_chain"

    private var harness: DaemonHarness!
    private var upstream: LocalKDSServer?
    private var port = 0

    override func setUpWithError() throws {
        harness = try DaemonHarness()
    }

    override func tearDown() {
        upstream?.stop()
        harness?.stop()
    }

    private var cacheDirectory: String { harness.path("kds-cache") }

    private func startUpstream(vcek: URL? = nil, throttleVCEK: Int = 0, retryAfter: String = "1") throws {
        upstream?.stop()
        upstream = try LocalKDSServer(routes: [
            Self.chainPath: .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan")),
            Self.goSevGuestPath: .init(
                file: try vcek ?? TestData.url("virtee-sev/tests/certs_data/vcek_milan.der"), throttle: throttleVCEK, retryAfter: retryAfter),
        ])
    }

    /// Starts sevhostd with the KDS endpoint on an ephemeral port and reads the port from its log.
    private func startDaemon(upstreamURL: String? = nil, extra: [String] = []) throws {
        try harness.startDaemon(extra: [
            "--kds-listen", "127.0.0.1:0", "--kds-upstream", upstreamURL ?? upstream!.baseURL, "--kds-cache-dir", cacheDirectory,
            "--kds-max-connections", "8", "--kds-request-timeout", "2",
        ] + extra)
        var found: Int?
        XCTAssertTrue(harness.eventually(10) {
            found = harness.daemonLog().split(separator: "\n").lazy.compactMap { line -> Int? in
                guard line.contains("kds cache listening"), let range = line.range(of: "address=127.0.0.1:") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }.last
            return found != nil
        }, harness.daemonLog())
        port = try XCTUnwrap(found)
    }

    private var base: String { "http://127.0.0.1:\(port)" }

    /// GET through curl (a client of its own): the body of a 200, else a failure.
    private func get(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let r = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-f", base + path])
        XCTAssertEqual(r.status, 0, "GET \(path)", file: file, line: line)
        return r.stdoutBytes
    }

    private func upstreamRequests() throws -> [String] { try upstream?.requests() ?? [] }

    /// 100 `report verify --fetch` runs at once, each without a cache of its own: every one
    /// passes, and upstream is asked once for the chain and once for the VCEK.
    func testHundredConcurrentVerificationsFetchEachObjectOnce() throws {
        try startUpstream()
        try startDaemon()
        let report = try TestData.url("virtee-sev/tests/certs_data/report_milan.hex").path
        let empty = harness.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let results = UnsafeResults(count: 100)
        let base = self.base
        DispatchQueue.concurrentPerform(iterations: 100) { index in
            let result = try? Subprocess.sevhost([
                "report", "verify", report, "--certs", empty, "--fetch", "--product", "milan", "--kds-url", base, "--no-cache", "--quiet",
            ])
            results.set(index, result)
        }
        for (index, result) in results.all.enumerated() {
            XCTAssertEqual(result?.status, 0, "run \(index): \(result?.stdout ?? "") \(result?.stderr ?? "")")
            XCTAssertEqual(result?.stdout.split(separator: "\n").last.map(String.init), "report \(report): VALID (16 checks passed)")
        }
        XCTAssertEqual(try upstreamRequests(), [Self.chainPath, Self.goSevGuestPath])
        // Kept in the CLI's layout.
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: cacheDirectory + "/vcek/Milan/\(Self.chip)-0x7308000000000003.der")),
            try Data(contentsOf: TestData.url("virtee-sev/tests/certs_data/vcek_milan.der")))
    }

    /// KDS says 429 with Retry-After to the first VCEK request: all twenty askers wait that one
    /// out together; upstream sees one 429 and one success.
    func testA429IsWaitedOutOnceForAll() throws {
        try startUpstream(throttleVCEK: 1, retryAfter: "1")
        try startDaemon()
        let vcek = try TestData.bytes("virtee-sev/tests/certs_data/vcek_milan.der")
        let started = Date()
        let results = UnsafeResults(count: 20)
        let curl = URL(fileURLWithPath: "/usr/bin/curl")
        let base = self.base
        DispatchQueue.concurrentPerform(iterations: 20) { index in
            let path = index % 2 == 0 ? Self.goSevGuestPath : Self.snpguestPath
            results.set(index, try? Subprocess.run(curl, ["-s", "-f", base + path]))
        }
        for result in results.all { XCTAssertEqual(result?.stdoutBytes, vcek) }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 1, "Retry-After was honoured")
        // The VCEK (429, then 200), then the chain that checks it.
        XCTAssertEqual(try upstreamRequests(), [Self.goSevGuestPath, Self.goSevGuestPath, Self.chainPath])
    }

    /// Both URL forms name one object; a VLEK, a product without SNP, bad SPLs are refused.
    func testURLFormsOfSnpguestAndGoSevGuestAreOneObject() throws {
        try startUpstream()
        try startDaemon()
        let vcek = try TestData.bytes("virtee-sev/tests/certs_data/vcek_milan.der")
        XCTAssertEqual(try get(Self.snpguestPath), vcek)
        XCTAssertEqual(try get(Self.goSevGuestPath), vcek)
        XCTAssertEqual(try get("/vcek/v1/Milan/\(Self.chip.uppercased())?ucodeSPL=115&snpSPL=8&teeSPL=0&blSPL=3"), vcek)
        XCTAssertEqual(String(decoding: try get(Self.chainPath), as: UTF8.self),
                       try String(contentsOf: TestData.url("virtee-sev/tests/certs_data/cert_chain_milan"), encoding: .utf8))
        XCTAssertEqual(try upstreamRequests(), [Self.goSevGuestPath, Self.chainPath])

        for (path, status, text) in [
            ("/vlek/v1/Milan/cert?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115", 404, "VLEKs are served to their cloud provider only (KDS authenticates the request)"),
            ("/vcek/v1/Rome/cert_chain", 404, "unknown product (Milan, Genoa or Turin)"),
            ("/vcek/v1/Milan/\(Self.chip)?blSPL=3&teeSPL=0&snpSPL=8", 400, "ucodeSPL is missing"),
            ("/vcek/v1/Milan/\(Self.chip)?blSPL=3&blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115", 400, "blSPL given twice"),
            ("/vcek/v1/Milan/\(Self.chip)?blSPL=300&teeSPL=0&snpSPL=8&ucodeSPL=115", 400, "blSPL must be a decimal 0-255"),
            ("/vcek/v1/Milan/abcd?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115", 400, "the chip id has 2 bytes; Milan needs 64"),
            ("/index.html", 404, "not a KDS path (want /vcek/v1/PRODUCT/… or /vlek/v1/PRODUCT/…)"),
        ] {
            let r = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-w", "\n%{http_code}", base + path])
            XCTAssertEqual(r.stdout, "\(text)\n\n\(status)", path)
        }
        XCTAssertEqual(try upstreamRequests().count, 2, "refusals never reach upstream")
    }

    /// A VCEK changed on the way (one byte of its signature) is refused with a 502, nothing is
    /// written, and the next request goes upstream again.
    func testATamperedObjectIsRefusedAndNotCached() throws {
        var bytes = try TestData.bytes("virtee-sev/tests/certs_data/vcek_milan.der")
        bytes[bytes.count - 10] ^= 0x01
        let tampered = URL(fileURLWithPath: harness.path("tampered.der"))
        try Data(bytes).write(to: tampered)
        try startUpstream(vcek: tampered)
        try startDaemon()
        for _ in 0..<2 {
            let r = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-w", "\n%{http_code}", base + Self.goSevGuestPath])
            XCTAssertEqual(r.stdout, "KDS's answer was refused: the VCEK is not signed by AMD's Milan ASK\n\n502")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheDirectory + "/vcek/Milan/\(Self.chip)-0x7308000000000003.der"))
        XCTAssertEqual(try upstreamRequests(), [Self.goSevGuestPath, Self.chainPath, Self.goSevGuestPath])
        XCTAssertTrue(harness.daemonLog().contains("kds cache: refused \(upstream!.baseURL)\(Self.goSevGuestPath): the VCEK is not signed by AMD's Milan ASK"))
    }

    /// What one daemon fetched, the next one serves with upstream gone; and `sevhost fetch`
    /// finds it in the same directory.
    func testTheCacheSurvivesARestartAndIsTheCLIsLayout() throws {
        try startUpstream()
        try startDaemon()
        let vcek = try TestData.bytes("virtee-sev/tests/certs_data/vcek_milan.der")
        XCTAssertEqual(try get(Self.goSevGuestPath), vcek)
        harness.killDaemon()
        upstream?.stop()
        try startDaemon(upstreamURL: "http://127.0.0.1:1")
        XCTAssertEqual(try get(Self.snpguestPath), vcek)
        XCTAssertEqual(try get(Self.chainPath).count, 4602)

        let out = harness.path("out")
        let fetched = try Subprocess.sevhost([
            "fetch", "vcek", "--product", "milan", "--chip-id", Self.chip, "--tcb", "bl=3,tee=0,snp=8,ucode=115",
            "--kds-url", "http://127.0.0.1:1", "--cache-dir", cacheDirectory, "--out", out, "--encoding", "der",
        ])
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        XCTAssertTrue(fetched.stderr.contains("kds: cache hit \(cacheDirectory)/vcek/Milan/\(Self.chip)-0x7308000000000003.der"), fetched.stderr)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/vcek.der"))), vcek)
    }

    /// The endpoint's bounds: methods, bodies, long targets, slow clients, too many connections.
    func testRequestsAndConnectionsAreBounded() throws {
        try startUpstream()
        try startDaemon()
        let curl = URL(fileURLWithPath: "/usr/bin/curl")
        let post = try Subprocess.run(curl, ["-s", "-w", "\n%{http_code}", "-X", "POST", "--data", "x", base + Self.chainPath])
        XCTAssertEqual(post.stdout, "only GET and HEAD\n\n405")
        let long = try Subprocess.run(curl, ["-s", "-w", "\n%{http_code}", base + "/vcek/v1/Milan/" + String(repeating: "a", count: 600)])
        XCTAssertEqual(long.stdout, "request target longer than 512 bytes\n\n414")

        // A client that connects and says nothing is closed after --kds-request-timeout (2 s).
        let silent = try TCPClient(port: port)
        let started = Date()
        XCTAssertEqual(silent.readUntilClosed(timeout: 10), [])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 1.5)

        // Eight connections are held open; the ninth is closed at once.
        let held = try (0..<8).map { _ in try TCPClient(port: port) }
        usleep(200_000)
        let ninth = try TCPClient(port: port)
        XCTAssertEqual(ninth.readUntilClosed(timeout: 1), [])
        held.forEach { $0.close() }
        usleep(200_000)
        let after = try Subprocess.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + Self.chainPath])
        XCTAssertEqual(after.stdout, "200")
    }
}

extension KDSCacheTests {
    /// sevhostd keeps the host's certificate table current: ARK, ASK and the VCEK of the
    /// (simulated) chip at its reported TCB, from the cache; a TCB change by `snp config` drops
    /// the VCEK under the lock, and going back puts it in again, from the cache.
    func testTheDaemonKeepsTheCertificateTableCurrent() throws {
        let firmware = "sim:" + harness.path("fw")
        let chip = try Subprocess.sevhost(["show", "identifier", "--firmware", firmware]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        XCTAssertEqual(chip.count, 128)
        // A test PKI shaped like AMD's, with a VCEK for this chip at its reported TCB (3, 0, 14, 209).
        let pki = harness.path("pki")
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        let made = try Subprocess.run(try Peers.venvTool("python"), [
            PackageRoot.url.appendingPathComponent("Tests/Fixtures/make_test_pki.py").path, pki, chip, "3", "0", "14", "209"])
        XCTAssertEqual(made.status, 0, made.stderr)
        try (try Data(contentsOf: URL(fileURLWithPath: pki + "/ask.pem")) + Data(contentsOf: URL(fileURLWithPath: pki + "/ark.pem")))
            .write(to: URL(fileURLWithPath: pki + "/chain.pem"))
        let vcekPath = "/vcek/v1/Milan/\(chip)?blSPL=3&teeSPL=0&snpSPL=14&ucodeSPL=209"
        upstream = try LocalKDSServer(routes: [
            Self.chainPath: .init(file: URL(fileURLWithPath: pki + "/chain.pem")),
            vcekPath: .init(file: URL(fileURLWithPath: pki + "/vcek.der")),
        ])
        let table = harness.path("snp-certs.bin")
        try startDaemon(extra: ["--test-root", pki + "/ark.pem", "--snp-certs-table", table, "--firmware", firmware, "--snp-certs-interval", "0.5"])

        func entries() throws -> [String: [UInt8]] {
            let out = harness.path("export-\(UUID().uuidString.prefix(6))")
            let r = try Subprocess.sevhost(["snp", "certs", "export", "--table", table, out])
            guard r.status == 0 else { return [:] }
            var found: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: out) {
                found[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/" + name)))
            }
            return found
        }
        let vcek = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pki + "/vcek.der")))
        XCTAssertTrue(harness.eventually(20) { (try? entries())?["vcek.der"] == vcek }, harness.daemonLog())
        XCTAssertEqual(try entries().keys.sorted(), ["ark.der", "ask.der", "vcek.der"])

        let moved = try Subprocess.sevhost(["snp", "config", "set", "2", "0", "10", "200", "--firmware", firmware, "--table", table])
        XCTAssertEqual(moved.status, 0, moved.stderr)
        XCTAssertEqual(try entries().keys.sorted(), ["ark.der", "ask.der"])
        // KDS has no VCEK for the new TCB here: the table stays without one, and the log says why.
        XCTAssertTrue(harness.eventually(10) { harness.daemonLog().contains("snp certificate table not refreshed") }, harness.daemonLog())
        XCTAssertEqual(try entries().keys.sorted(), ["ark.der", "ask.der"])

        XCTAssertEqual(try Subprocess.sevhost(["snp", "config", "reset", "--firmware", firmware, "--table", table]).status, 0)
        XCTAssertTrue(harness.eventually(20) { (try? entries())?["vcek.der"] == vcek }, harness.daemonLog())
        // The VCEK came back from the cache: upstream was asked for it once.
        XCTAssertEqual(try upstreamRequests().filter { $0 == vcekPath }.count, 1)
    }
}

/// Results written from concurrent iterations, one slot each.
final class UnsafeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [ProcessResult?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: ProcessResult?) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
    var all: [ProcessResult?] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}

/// A raw TCP connection to loopback, for the tests of what the server does to idle clients.
final class TCPClient {
    let fd: Int32
    private var open = true

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    /// Reads until the server closes (returns what it sent) or `timeout` passes (returns nil).
    func readUntilClosed(timeout: Double) -> [UInt8]? {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return received }
            received += buffer[0..<n]
        }
        return nil
    }

    func close() {
        if open { Glibc.close(fd) }
        open = false
    }

    deinit { close() }
}
