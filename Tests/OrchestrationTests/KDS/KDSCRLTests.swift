import Foundation
@testable import Orchestration
import SEVKit
import SEVTestSupport
import XCTest

/// The CRL path of the KDS client. The pool has no KDS CRL, so a PSS-signed one is generated
/// (`Tests/Fixtures/make_test_pki.py`) and served on loopback. Everything that blocks (the
/// generator, the server start) happens in the synchronous `setUp`, never on the async test's
/// cooperative thread.
final class KDSCRLTests: XCTestCase {
    private var server: LocalKDSServer!
    private var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("kds-crl-\(UUID().uuidString)")
        let pki = work.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        let gen = try Subprocess.run(try Peers.venvTool("python"), [
            PackageRoot.url.appendingPathComponent("Tests/Fixtures/make_test_pki.py").path, pki.path])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        server = try LocalKDSServer(routes: [
            "/vcek/v1/Milan/crl": .init(file: pki.appendingPathComponent("crl-revoked.der")),
        ])
    }

    override func tearDown() {
        server?.stop()
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func testFetchesAndCachesACRLButNotA404() async throws {
        let cache = work.appendingPathComponent("cache")
        let kds = KDSClient(configuration: KDSConfiguration(baseURL: server.baseURL, cacheDirectory: cache), sleeper: { _ in })
        let crl = try await kds.crl(.vcek, product: .milan)
        XCTAssertEqual(crl.revokedSerials.map { Hex.encode($0) }, ["010101", "020002"])
        let again = try await kds.crl(.vcek, product: .milan)
        XCTAssertEqual(again, crl)
        XCTAssertEqual(try server.requests(), ["/vcek/v1/Milan/crl"])
        XCTAssertEqual([UInt8](try Data(contentsOf: cache.appendingPathComponent("vcek/Milan/crl.der"))), crl.der)
        do {
            _ = try await kds.crl(.vlek, product: .milan)
            XCTFail("expected 404")
        } catch {
            XCTAssertEqual(error.kind, .notFound)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("vlek/Milan/crl.der").path))
    }
}
