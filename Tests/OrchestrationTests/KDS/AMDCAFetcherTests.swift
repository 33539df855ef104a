import Foundation
@testable import Orchestration
import SEVKit
import SEVTestSupport
import XCTest

/// The legacy CA chain download against a server on loopback serving `ask_ark_<product>.cert`
/// files made (in a temporary directory) from AMD's real ASK and ARK of the test-data pool, and
/// the real Naples and Rome platform chains whose CEKs those ASKs signed.
final class AMDCAFetcherTests: XCTestCase {
    private var temp: URL!
    private var cache: URL!
    private var server: LocalKDSServer?
    private let lines = Lines()

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("amd-ca-\(UUID().uuidString)")
        cache = temp.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        server?.stop()
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String] = []
        func add(_ v: String) { lock.lock(); values.append(v); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return values }
    }

    // MARK: data

    /// AMD's published file for `product`: its ASK then its ARK (legacy AMD CA format).
    static func caBytes(_ product: String) throws -> [UInt8] {
        try TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/ask.cert")
            + TestData.bytes("virtee-sev/src/certs/sev/builtin/\(product)/ark.cert")
    }

    static func cek(_ product: String) throws -> SEVPlatformCertificate {
        try SEVPlatformCertificate(bytes: try TestData.bytes("virtee-sev/tests/\(product)/cek.cert"), name: "\(product) CEK")
    }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = temp.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Serves `files` (product name → bytes) at `/sev/ask_ark_<product>.cert`.
    private func serve(_ files: [String: [UInt8]]) throws -> LocalKDSServer {
        var routes: [String: LocalKDSServer.Route] = [:]
        for (product, bytes) in files {
            routes["/sev/ask_ark_\(product).cert"] = .init(file: try file("served-\(product).cert", bytes))
        }
        let server = try LocalKDSServer(routes: routes)
        self.server = server
        return server
    }

    private func fetcher(_ server: LocalKDSServer, cache: URL? = nil) -> AMDCAFetcher {
        let lines = self.lines
        return AMDCAFetcher(
            configuration: KDSConfiguration(baseURL: server.baseURL + "/sev/", cacheDirectory: cache),
            sleeper: { _ in }, progress: { lines.add($0) })
    }

    private func expectFailure(
        _ body: () async throws(AMDCAFetchError) -> AMDCAFetcher.Selection, file: StaticString = #filePath, line: UInt = #line
    ) async -> AMDCAFetchError? {
        do {
            let selection = try await body()
            XCTFail("expected a failure, got \(selection.product) from \(selection.url)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    /// libcurl's reason carries how long the attempt took ("after 0 ms"); everything else is exact.
    private static func untimed(_ text: String) -> String {
        text.replacing(/after \d+ ms/, with: "after N ms")
    }

    // MARK: selection

    func testTriesTheProductsInOrderAndKeepsTheChainWhoseASKSignsTheCEK() async throws {
        let served = try ["naples", "rome", "milan", "genoa"].reduce(into: [String: [UInt8]]()) { $0[$1] = try Self.caBytes($1) }
        let server = try serve(served)
        let base = server.baseURL + "/sev"

        let rome = try await fetcher(server, cache: cache).chain(signing: try Self.cek("rome"))
        XCTAssertEqual(rome.product, .rome)
        XCTAssertEqual(rome.url, "\(base)/ask_ark_rome.cert")
        XCTAssertEqual(rome.chain.encoded, try Self.caBytes("rome"))
        XCTAssertEqual(try server.requests(), ["/sev/ask_ark_naples.cert", "/sev/ask_ark_rome.cert"])
        // Both files were AMD's: both are cached, byte for byte as served.
        for product in ["naples", "rome"] {
            XCTAssertEqual([UInt8](try Data(contentsOf: cache.appendingPathComponent("ask_ark_\(product).cert"))), try Self.caBytes(product))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("ask_ark_milan.cert").path))
        XCTAssertEqual(lines.all, [
            "amd-ca: GET \(base)/ask_ark_naples.cert", "amd-ca: 200 1664 bytes",
            "amd-ca: cached \(cache.path)/ask_ark_naples.cert",
            "amd-ca: GET \(base)/ask_ark_rome.cert", "amd-ca: 200 3200 bytes",
            "amd-ca: cached \(cache.path)/ask_ark_rome.cert",
            "amd-ca: the CEK is signed by AMD's Rome ASK (\(base)/ask_ark_rome.cert)",
        ])

        let naples = try await fetcher(server).chain(signing: try Self.cek("naples"))
        XCTAssertEqual(naples.product, .naples)
        XCTAssertEqual(naples.chain.encoded, try Self.caBytes("naples"))
    }

    func testProductPicksTheFileDirectly() async throws {
        let server = try serve(["naples": try Self.caBytes("naples"), "rome": try Self.caBytes("rome")])
        let rome = try await fetcher(server).chain(signing: try Self.cek("rome"), product: .rome)
        XCTAssertEqual(rome.product, .rome)
        XCTAssertEqual(rome.chain.encoded, try Self.caBytes("rome"))
        XCTAssertEqual(try server.requests(), ["/sev/ask_ark_rome.cert"])

        // The wrong product is not silently replaced by the right one.
        let error = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server).chain(signing: try! Self.cek("rome"), product: .naples)
        }
        XCTAssertEqual(error?.description, """
            \(server.baseURL)/sev/ask_ark_naples.cert: AMD's Naples ASK does not sign the CEK: the CEK carries no ASK signature (RSA-SHA256); \
            pass AMD's CA chain (ASK then ARK) with --ca
            """)
        XCTAssertEqual(try server.requests(), ["/sev/ask_ark_rome.cert", "/sev/ask_ark_naples.cert"])

        let turin = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server).chain(signing: try! Self.cek("rome"), product: .turin)
        }
        XCTAssertEqual(turin?.description, "\(server.baseURL)/sev/ask_ark_turin.cert: AMD publishes no legacy CA chain for Turin; pass AMD's CA chain (ASK then ARK) with --ca")
    }

    /// AMD first published the Naples ARK without its signature; that file is completed and,
    /// being then byte for byte the pinned root, accepted.
    func testTheOriginalShortNaplesFileIsAccepted() async throws {
        let short = try TestData.bytes("virtee-sev/src/certs/sev/builtin/naples/ask.cert") + TestData.bytes("virtee-sev/tests/naples/ark.cert.bad")
        XCTAssertEqual(short.count, 832 + 576)
        let server = try serve(["naples": short])
        let naples = try await fetcher(server).chain(signing: try Self.cek("naples"), product: .naples)
        XCTAssertEqual(naples.chain.encoded, try Self.caBytes("naples"))
    }

    // MARK: refusals

    func testAFileForAnotherProductIsSkipped() async throws {
        // A mirror serving Milan's chain under Naples's name, and the genuine Rome file.
        let server = try serve(["naples": try Self.caBytes("milan"), "rome": try Self.caBytes("rome")])
        let rome = try await fetcher(server, cache: cache).chain(signing: try Self.cek("rome"))
        XCTAssertEqual(rome.product, .rome)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("ask_ark_naples.cert").path))

        // For a Naples CEK nothing fits: every file is named with what was wrong with it.
        let base = server.baseURL + "/sev"
        let error = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server).chain(signing: try! Self.cek("naples"))
        }
        XCTAssertEqual(error?.description, """
            no AMD CA chain signs the CEK (\(base)/ask_ark_naples.cert: holds AMD's Milan ARK, not the Naples one; \
            \(base)/ask_ark_rome.cert: AMD's Rome ASK does not sign the CEK: the CEK carries no ASK signature (RSA-SHA384); \
            \(base)/ask_ark_milan.cert: HTTP 404; \(base)/ask_ark_genoa.cert: HTTP 404); \
            pass AMD's CA chain (ASK then ARK) with --ca
            """)
    }

    func testAnARKThatIsNotPinnedIsRefused() async throws {
        // Rome's chain with one reserved byte of the ARK changed: still a well-formed chain,
        // but no longer AMD's root (the pin covers the whole encoding).
        var forged = try Self.caBytes("rome")
        forged[1600 + 40] ^= 0x01
        let server = try serve(["rome": forged])
        let error = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server, cache: self.cache).chain(signing: try! Self.cek("rome"), product: .rome)
        }
        XCTAssertEqual(error?.description, "\(server.baseURL)/sev/ask_ark_rome.cert: the ARK is not one of AMD's published roots; pass AMD's CA chain (ASK then ARK) with --ca")
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("ask_ark_rome.cert").path), "a refused file is not cached")
    }

    func testAnASKNotSignedByThePinnedARKIsRefused() async throws {
        var bytes = try Self.caBytes("genoa")
        bytes[64 + 512 + 100] ^= 0x01   // inside the ASK's modulus (after the 64-byte preamble and 512-byte exponent)
        let server = try serve(["genoa": bytes])
        let error = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server).chain(signing: try! Self.cek("rome"), product: .genoa)
        }
        XCTAssertEqual(error?.description, "\(server.baseURL)/sev/ask_ark_genoa.cert: the ASK is not signed by AMD's Genoa ARK: the ARK signature on the ASK does not verify; pass AMD's CA chain (ASK then ARK) with --ca")
    }

    func testAMalformedFileNamesTheOffset() async throws {
        let ask = try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/ask.cert")
        let server = try serve(["rome": ask, "milan": ask + ask, "genoa": Array(try Self.caBytes("genoa").prefix(2000))])
        let base = server.baseURL + "/sev"
        for (product, problem) in [
            (AMDProduct.rome, "offset 1600 (0x640): version: expected 4 bytes, only 0 left"),
            (.milan, "certificate at offset 1600: expected the ARK certificate, found key usage ASK"),
            (.genoa, "offset 1664 (0x680): public exponent: expected 512 bytes, only 336 left"),
        ] {
            let error = await expectFailure { () async throws(AMDCAFetchError) in
                try await self.fetcher(server).chain(signing: try! Self.cek("rome"), product: product)
            }
            XCTAssertEqual(error?.description, "\(base)/\(AMDCAFetcher.fileName(product)): not an AMD CA chain (ASK then ARK): \(problem); pass AMD's CA chain (ASK then ARK) with --ca")
        }
    }

    func testHTTP404AndAnUnreachableServerNameTheURL() async throws {
        let server = try serve(["naples": try Self.caBytes("naples")])
        let base = server.baseURL + "/sev"
        let missing = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server).chain(signing: try! Self.cek("rome"), product: .rome)
        }
        XCTAssertEqual(missing?.description, "\(base)/ask_ark_rome.cert: HTTP 404; pass AMD's CA chain (ASK then ARK) with --ca")

        server.stop()
        // Unreachable: the first product fails and no other is tried (same server).
        let down = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server).chain(signing: try! Self.cek("rome"))
        }
        XCTAssertEqual(down?.attempts.count, 1)
        XCTAssertEqual(down.map { Self.untimed($0.description) }, """
            \(base)/ask_ark_naples.cert: unreachable (Failed to connect to 127.0.0.1 port \(server.port) after N ms: Couldn't connect to server); \
            pass AMD's CA chain (ASK then ARK) with --ca, or point --ca-url or SEVHOST_AMD_CA_URL at a mirror
            """)
    }

    // MARK: cache

    func testTheCacheServesASecondRunAndIsCheckedEachTime() async throws {
        let server = try serve(["naples": try Self.caBytes("naples"), "rome": try Self.caBytes("rome")])
        _ = try await fetcher(server, cache: cache).chain(signing: try Self.cek("rome"))
        server.stop()

        // Server gone: the cached files answer, checked again.
        let base = server.baseURL + "/sev"
        let before = lines.all.count
        let again = try await fetcher(server, cache: cache).chain(signing: try Self.cek("rome"))
        XCTAssertEqual(again.chain.encoded, try Self.caBytes("rome"))
        XCTAssertEqual(Array(lines.all[before...]), [
            "amd-ca: cache hit \(cache.path)/ask_ark_naples.cert",
            "amd-ca: cache hit \(cache.path)/ask_ark_rome.cert",
            "amd-ca: the CEK is signed by AMD's Rome ASK (\(base)/ask_ark_rome.cert)",
        ])

        // A tampered cache entry is not trusted: it is ignored, and with the server gone the
        // download fails.
        let cached = cache.appendingPathComponent("ask_ark_rome.cert")
        var bytes = [UInt8](try Data(contentsOf: cached))
        bytes[1600 + 40] ^= 0x01
        try Data(bytes).write(to: cached)
        let mark = lines.all.count
        let error = await expectFailure { () async throws(AMDCAFetchError) in
            try await self.fetcher(server, cache: self.cache).chain(signing: try! Self.cek("rome"), product: .rome)
        }
        XCTAssertEqual(Array(lines.all[mark...]).first, "amd-ca: ignoring cache entry \(cached.path): the ARK is not one of AMD's published roots")
        XCTAssertEqual(error?.attempts.map(\.unreachable), [true])
        XCTAssertEqual(error?.attempts.map(\.url), ["\(base)/ask_ark_rome.cert"])
    }

    func testATamperedCacheEntryIsReplacedWhenTheServerAnswers() async throws {
        let server = try serve(["milan": try Self.caBytes("milan"), "rome": try Self.caBytes("rome")])
        let cached = cache.appendingPathComponent("ask_ark_rome.cert")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try Data(try Self.caBytes("milan")).write(to: cached)   // Milan's file under Rome's name
        let rome = try await fetcher(server, cache: cache).chain(signing: try Self.cek("rome"), product: .rome)
        XCTAssertEqual(rome.chain.encoded, try Self.caBytes("rome"))
        XCTAssertEqual(lines.all.first, "amd-ca: ignoring cache entry \(cached.path): holds AMD's Milan ARK, not the Rome one")
        XCTAssertEqual([UInt8](try Data(contentsOf: cached)), try Self.caBytes("rome"))
        XCTAssertEqual(try server.requests(), ["/sev/ask_ark_rome.cert"])
    }

    // MARK: configuration

    func testBaseURLResolution() {
        XCTAssertEqual(AMDCAFetcher.resolveBaseURL(option: "http://mirror/ca", environment: ["SEVHOST_AMD_CA_URL": "http://env"]), "http://mirror/ca")
        XCTAssertEqual(AMDCAFetcher.resolveBaseURL(option: nil, environment: ["SEVHOST_AMD_CA_URL": "http://env"]), "http://env")
        XCTAssertEqual(AMDCAFetcher.resolveBaseURL(option: "", environment: [:]), "https://download.amd.com/developer/eula/sev")
        let fetcher = AMDCAFetcher(configuration: KDSConfiguration(baseURL: AMDCAFetcher.amdBase))
        XCTAssertEqual(AMDCAFetcher.products.map { fetcher.url(for: $0) }, [
            "https://download.amd.com/developer/eula/sev/ask_ark_naples.cert",
            "https://download.amd.com/developer/eula/sev/ask_ark_rome.cert",
            "https://download.amd.com/developer/eula/sev/ask_ark_milan.cert",
            "https://download.amd.com/developer/eula/sev/ask_ark_genoa.cert",
        ])
        XCTAssertEqual(
            AMDCAFetcher.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x"]).path, "/x/sevhost/amd-ca")
        XCTAssertEqual(AMDCAFetcher.defaultCacheDirectory(environment: ["HOME": "/home/u"]).path, "/home/u/.cache/sevhost/amd-ca")
    }
}
