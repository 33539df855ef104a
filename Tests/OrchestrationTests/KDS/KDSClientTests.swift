import Foundation
@testable import Orchestration
import SEVKit
import SEVTestSupport
import XCTest

/// The KDS client against a KDS-compatible server on loopback serving the pool's certificates.
final class KDSClientTests: XCTestCase {
    static let milanChip = "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6"
    static let vcekPath = "/vcek/v1/Milan/\(milanChip)?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115"

    private var server: LocalKDSServer!
    private var cache: URL!

    override func setUpWithError() throws {
        server = try LocalKDSServer(routes: [
            "/vcek/v1/Milan/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan")),
            Self.vcekPath: .init(file: try TestData.url("virtee-sev/tests/certs_data/vcek_milan.der")),
            "/vlek/v1/Milan/cert_chain": .init(
                file: try TestData.url("google-go-sev-guest/verify/trust/ask_ark_milan_vlek.pem"), throttle: 1, retryAfter: "2"),
            "/vlek/v1/Genoa/cert_chain": .init(
                file: try TestData.url("google-go-sev-guest/verify/trust/ask_ark_genoa_vlek.pem"), throttle: 10, retryAfter: "1"),
            "/vcek/v1/Genoa/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/report_milan.hex")),
        ])
        cache = FileManager.default.temporaryDirectory.appendingPathComponent("kds-cache-\(UUID().uuidString)")
    }

    override func tearDown() {
        server?.stop()
        if let cache { try? FileManager.default.removeItem(at: cache) }
    }

    final class Waits: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Double] = []
        func add(_ v: Double) { lock.lock(); values.append(v); lock.unlock() }
        var all: [Double] { lock.lock(); defer { lock.unlock() }; return values }
    }

    private func client(cache: URL? = nil, base: String? = nil, waits: Waits = Waits()) -> KDSClient {
        KDSClient(
            configuration: KDSConfiguration(baseURL: base ?? server.baseURL, cacheDirectory: cache),
            sleeper: { waits.add($0) })
    }

    func testFetchesTheChainAndServesTheSecondRequestFromTheCache() async throws {
        let kds = client(cache: cache)
        let first = try await kds.certChain(.vcek, product: .milan)
        XCTAssertEqual(first.map(\.commonName), ["SEV-Milan", "ARK-Milan"])
        XCTAssertEqual(SNPTrustAnchors.product(of: first[1]), .milan)
        let cached = cache.appendingPathComponent("vcek/Milan/cert_chain.pem")
        XCTAssertEqual(try Data(contentsOf: cached), try Data(contentsOf: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan")))
        let second = try await kds.certChain(.vcek, product: .milan)
        XCTAssertEqual(second, first)
        XCTAssertEqual(try server.requests(), ["/vcek/v1/Milan/cert_chain"])
    }

    func testFetchesTheVCEKOfAReport() async throws {
        let report = try AttestationReport(bytes: try Self.milanReport())
        let vcek = try await client(cache: cache).vcek(product: .milan, chipID: report.chipID, tcb: report.reportedTCB)
        XCTAssertEqual(vcek.der, try TestData.bytes("virtee-sev/tests/certs_data/vcek_milan.der"))
        // The chain first: the VCEK is checked against its ASK before it is kept.
        XCTAssertEqual(try server.requests(), ["/vcek/v1/Milan/cert_chain", Self.vcekPath])
        let cachedName = "vcek/Milan/\(Self.milanChip)-0x7308000000000003.der"
        XCTAssertEqual([UInt8](try Data(contentsOf: cache.appendingPathComponent(cachedName))), vcek.der)
    }

    func testRetriesAfter429HonouringRetryAfter() async throws {
        let waits = Waits()
        let certs = try await client(waits: waits).certChain(.vlek, product: .milan)
        XCTAssertEqual(certs.map(\.commonName), ["SEV-VLEK-Milan", "ARK-Milan"])
        XCTAssertEqual(waits.all, [2])
        XCTAssertEqual(try server.requests(), ["/vlek/v1/Milan/cert_chain", "/vlek/v1/Milan/cert_chain"])
    }

    func testGivesUpAfterMaxAttempts() async throws {
        let waits = Waits()
        do {
            _ = try await client(waits: waits).certChain(.vlek, product: .genoa)
            XCTFail("expected failure")
        } catch {
            XCTAssertEqual(error.kind, .httpStatus(429))
            XCTAssertEqual(error.message, "KDS answered HTTP 429 for \(server.baseURL)/vlek/v1/Genoa/cert_chain after 4 attempt(s)")
        }
        XCTAssertEqual(waits.all, [1, 1, 1])
        XCTAssertEqual(try server.requests().count, 4)
    }

    func test404IsAnErrorAndNothingIsCached() async throws {
        do {
            _ = try await client(cache: cache).certChain(.vcek, product: .turin)
            XCTFail("expected failure")
        } catch {
            XCTAssertEqual(error.kind, .notFound)
            XCTAssertEqual(error.message, "KDS has nothing at \(server.baseURL)/vcek/v1/Turin/cert_chain (HTTP 404): check the product, chip id and TCB")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("vcek/Turin/cert_chain.pem").path))
    }

    func testA200BodyThatIsNotACertificateIsNotCached() async throws {
        do {
            _ = try await client(cache: cache).certChain(.vcek, product: .genoa)
            XCTFail("expected failure")
        } catch {
            XCTAssertEqual(error.kind, .badContent)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("vcek/Genoa/cert_chain.pem").path))
    }

    /// A server that answers with more than any certificate could be is cut off, not buffered.
    func testAnOversizedAnswerIsRefused() async throws {
        let big = FileManager.default.temporaryDirectory.appendingPathComponent("kds-big-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: big) }
        try Data(count: (16 << 20) + 1).write(to: big)
        let hostile = try LocalKDSServer(routes: ["/vcek/v1/Turin/cert_chain": .init(file: big)])
        defer { hostile.stop() }
        do {
            _ = try await client(cache: cache, base: hostile.baseURL).certChain(.vcek, product: .turin)
            XCTFail("expected failure")
        } catch {
            XCTAssertEqual(error.kind, .badContent)
            XCTAssertEqual(error.message, "\(hostile.baseURL)/vcek/v1/Turin/cert_chain: refused: the response body is larger than 16 MiB")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("vcek/Turin/cert_chain.pem").path))
    }

    func testUnreachableHostSaysOfflineInOneLine() async throws {
        do {
            _ = try await client(base: "http://127.0.0.1:1").certChain(.vcek, product: .milan)
            XCTFail("expected failure")
        } catch {
            XCTAssertEqual(error.kind, .offline)
            XCTAssertTrue(error.message.hasPrefix("cannot reach KDS at 127.0.0.1 ("), error.message)
            XCTAssertTrue(error.message.hasSuffix("offline? use --kds-url or SEVHOST_KDS_URL for a mirror, or give the certificates with --certs"), error.message)
            XCTAssertFalse(error.message.contains("\n"))
        }
    }

    func testMirrorBaseURLFromOptionOrEnvironment() {
        XCTAssertEqual(KDSConfiguration.resolveBaseURL(option: nil, environment: [:]), "https://kdsintf.amd.com")
        XCTAssertEqual(KDSConfiguration.resolveBaseURL(option: nil, environment: ["SEVHOST_KDS_URL": "http://mirror:8080"]), "http://mirror:8080")
        XCTAssertEqual(KDSConfiguration.resolveBaseURL(option: "http://opt", environment: ["SEVHOST_KDS_URL": "http://mirror:8080"]), "http://opt")
        XCTAssertEqual(KDSURL(base: "http://mirror:8080/").certChain(.vcek, product: .milan), "http://mirror:8080/vcek/v1/Milan/cert_chain")
    }

    func testRetryAfterHeaderForms() {
        XCTAssertEqual(KDSClient.retryAfter(["Retry-After": "7"]), 7)
        XCTAssertEqual(KDSClient.retryAfter(["retry-after": " 0 "]), 0)
        XCTAssertNil(KDSClient.retryAfter(["Retry-After": "soon"]))
        XCTAssertNil(KDSClient.retryAfter([:]))
        let past = KDSClient.retryAfter(["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"])
        XCTAssertEqual(past, 0)
    }

    /// `report verify --fetch` with an empty certificate directory: everything comes from KDS.
    func testReportVerificationFetchesWhatIsMissing() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let verification = ReportVerification(
            reportBytes: try Self.milanReport(), reportName: "report_milan", certificates: try CertificateDirectory(directory: empty),
            product: .milan, policy: ReportPolicy(), kds: client(cache: cache))
        let outcome = try await verification.run(at: Date(timeIntervalSince1970: 1_735_689_600))
        XCTAssertEqual(outcome.checks.failures, [])
        XCTAssertEqual(try server.requests(), ["/vcek/v1/Milan/cert_chain", Self.vcekPath])
    }

    static func milanReport() throws -> [UInt8] {
        try ReportVerification.readReport(try TestData.url("virtee-sev/tests/certs_data/report_milan.hex"))
    }
}
