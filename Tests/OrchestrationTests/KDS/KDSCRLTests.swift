import Foundation
@testable import Orchestration
import SEVKit
import SEVTestSupport
import XCTest

/// The CRL path of the KDS client and of sevhostd's cache. The pool has no KDS CRL, so a
/// PSS-signed PKI is generated (`Tests/Fixtures/make_test_pki.py`: an ARK, an ASVK, CRLs valid
/// 2024-2040) and served on loopback, its ARK named as a test root. Everything that blocks (the
/// generator, the server start) happens in the synchronous `setUp`.
final class KDSCRLTests: XCTestCase {
    private var server: LocalKDSServer!
    private var work: URL!
    private var ark: SNPCertificate!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kds-crl-\(UUID().uuidString)")
        let pki = work.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        let gen = try Subprocess.run(try Peers.venvTool("python"), [
            PackageRoot.url.appendingPathComponent("Tests/Fixtures/make_test_pki.py").path, pki.path])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        let chain = pki.appendingPathComponent("chain.pem")
        try (try Data(contentsOf: pki.appendingPathComponent("asvk.pem")) + Data(contentsOf: pki.appendingPathComponent("ark.pem"))).write(to: chain)
        ark = try XCTUnwrap(SNPCertificate.decodeAll([UInt8](try Data(contentsOf: pki.appendingPathComponent("ark.pem")))).first)
        server = try LocalKDSServer(routes: [
            "/vlek/v1/Milan/cert_chain": .init(file: chain),
            "/vlek/v1/Milan/crl": .init(file: pki.appendingPathComponent("crl-revoked.der")),
        ])
    }

    override func tearDown() {
        server?.stop()
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func testFetchesAndCachesACRLButNotA404() async throws {
        let cache = work.appendingPathComponent("cache")
        var kds = KDSClient(configuration: KDSConfiguration(baseURL: server.baseURL, cacheDirectory: cache), sleeper: { _ in })
        kds.check = KDSAnswerCheck(testRoots: [ark])
        let crl = try await kds.crl(.vlek, product: .milan)
        XCTAssertEqual(crl.revokedSerials.map { Hex.encode($0) }, ["010101", "020002"])
        let again = try await kds.crl(.vlek, product: .milan)
        XCTAssertEqual(again, crl)
        XCTAssertEqual(try server.requests(), ["/vlek/v1/Milan/cert_chain", "/vlek/v1/Milan/crl"])
        XCTAssertEqual([UInt8](try Data(contentsOf: cache.appendingPathComponent("vlek/Milan/crl.der"))), crl.der)
        do {
            _ = try await kds.crl(.vcek, product: .milan)
            XCTFail("expected 404")
        } catch {
            XCTAssertEqual(error.kind, .notFound)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("vcek/Milan/crl.der").path))

        // Without the test root, the same chain is refused: AMD's roots only.
        let strict = KDSClient(configuration: KDSConfiguration(baseURL: server.baseURL), sleeper: { _ in })
        do {
            _ = try await strict.crl(.vlek, product: .milan)
            XCTFail("expected a refusal")
        } catch {
            XCTAssertEqual(error.message, "KDS answer refused: the ARK is not AMD's pinned Milan root")
        }
    }

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Date
        init(_ value: Date) { self.value = value }
        var now: Date { lock.lock(); defer { lock.unlock() }; return value }
        func set(_ date: Date) { lock.lock(); value = date; lock.unlock() }
    }

    /// sevhostd's cache fetches a CRL again once less than the margin remains before its
    /// nextUpdate (2040-01-01), and never serves one past it.
    func testTheCacheRefreshesACRLBeforeItExpires() async throws {
        let clock = Clock(ISO8601DateFormatter().date(from: "2030-01-01T00:00:00Z")!)
        let cache = KDSCache(
            upstream: KDSClient(configuration: KDSConfiguration(baseURL: server.baseURL), sleeper: { _ in }),
            directory: work.appendingPathComponent("daemon"), check: KDSAnswerCheck(testRoots: [ark]),
            crlRefreshMargin: 24 * 3600, now: { clock.now })
        let first = try await cache.answer(.crl(.vlek, .milan))
        XCTAssertEqual(first.contentType, "application/pkix-crl")
        XCTAssertFalse(first.immutable)
        let refreshedEarly = await cache.refreshDueCRLs()
        XCTAssertEqual(refreshedEarly, [], "ten years before nextUpdate nothing is due")
        XCTAssertEqual(try server.requests(), ["/vlek/v1/Milan/crl", "/vlek/v1/Milan/cert_chain"])

        clock.set(ISO8601DateFormatter().date(from: "2039-12-31T06:00:00Z")!)
        let refreshed = await cache.refreshDueCRLs()
        XCTAssertEqual(refreshed, [.crl(.vlek, .milan)])
        XCTAssertEqual(try server.requests().last, "/vlek/v1/Milan/crl")
        XCTAssertEqual(try server.requests().count, 3)

        clock.set(ISO8601DateFormatter().date(from: "2040-01-02T00:00:00Z")!)
        do {
            _ = try await cache.answer(.crl(.vlek, .milan))
            XCTFail("an expired CRL must not be served")
        } catch {
            XCTAssertEqual(error.message, "KDS answer refused: the CRL expired at 2040-01-01T00:00:00Z")
        }
    }
}
