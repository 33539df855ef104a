import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// CRLs and VLEKs: the pool holds no KDS CRL and no VLEK, so `Tests/Fixtures/make_test_pki.py`
/// (Python `cryptography`) issues an AMD-shaped PSS PKI at test time. Its root is not AMD's,
/// so `ark-pinned` failing is part of every expectation here.
final class GeneratedPKITests: XCTestCase {
    nonisolated(unsafe) private static var directory: URL?

    private func pki() throws -> URL {
        if let dir = Self.directory { return dir }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snp-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let python = try Peers.venvTool("python")
        let r = try Subprocess.run(python, [PackageRoot.url.appendingPathComponent("Tests/Fixtures/make_test_pki.py").path, dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.directory = dir
        return dir
    }

    private func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: try pki().appendingPathComponent(name))) }
    private func cert(_ name: String) throws -> SNPCertificate { try XCTUnwrap(SNPCertificate.decodeAll(try bytes(name)).first) }

    private let at = Date(timeIntervalSince1970: 1_735_689_600)

    func testCRLDecodesAndIsSignedByTheRoot() throws {
        let crl = try CertificateRevocationList(bytes: try bytes("crl-revoked.der"))
        XCTAssertEqual(crl.revokedSerials.map { Hex.encode($0) }, ["010101", "020002"])
        XCTAssertEqual(crl.thisUpdate, Date(timeIntervalSince1970: 1_704_067_200))
        XCTAssertEqual(crl.nextUpdate, Date(timeIntervalSince1970: 2_208_988_800))
        XCTAssertEqual(crl.signatureAlgorithm, .rsassaPSS(hash: .sha384, saltLength: 48))
        XCTAssertTrue(crl.isSigned(by: try cert("ark.pem")))
        XCTAssertFalse(crl.isSigned(by: try cert("asvk.pem")))
        XCTAssertTrue(crl.revokes(try cert("asvk.pem")))
        XCTAssertFalse(crl.revokes(try cert("ark.pem")))

        let empty = try CertificateRevocationList(bytes: try bytes("crl-empty.pem"))
        XCTAssertEqual(empty.revokedSerials.count, 0)
        // `fetch crl --encoding pem` writes what openssl wrote, byte for byte.
        XCTAssertEqual(Array(empty.pem.utf8), try bytes("crl-empty.pem"))
        XCTAssertEqual(try CertificateRevocationList(bytes: Array(crl.pem.utf8)).der, crl.der)
        XCTAssertTrue(empty.isSigned(by: try cert("ark.pem")))

        // Any change to the signed part breaks the signature.
        var tampered = try bytes("crl-revoked.der")
        let serialAt = try XCTUnwrap(Self.find([0x02, 0x03, 0x01, 0x01, 0x01], in: tampered))
        tampered[serialAt + 4] = 0x02
        let changed = try CertificateRevocationList(bytes: tampered)
        XCTAssertEqual(changed.revokedSerials.map { Hex.encode($0) }, ["010102", "020002"])
        XCTAssertFalse(changed.isSigned(by: try cert("ark.pem")))
    }

    func testChainWithCRLNamesTheRevokedCertificate() throws {
        let chain = SNPCertificateChain(ark: try cert("ark.pem"), intermediate: try cert("asvk.pem"), endorsementKey: try cert("vlek.der"))
        XCTAssertEqual(chain.endorsementKind, .vlek)
        let revoked = try CertificateRevocationList(bytes: try bytes("crl-revoked.der"))
        let checks = chain.verify(at: at, crl: revoked)
        XCTAssertEqual(checks.map(\.name), [
            "ark-pinned", "ark-self-signed", "asvk-signed-by-ark", "vlek-signed-by-asvk", "intermediate-role",
            "ark-validity", "asvk-validity", "vlek-validity", "crl-signed-by-ark", "crl-not-revoked",
        ])
        XCTAssertEqual(checks.failures.map(\.name), ["ark-pinned", "crl-not-revoked"])
        XCTAssertEqual(checks.last?.detail, "revoked: SEV-VLEK-Test serial 0x10101")
        let clean = chain.verify(at: at, crl: try CertificateRevocationList(bytes: try bytes("crl-empty.pem")))
        XCTAssertEqual(clean.failures.map(\.name), ["ark-pinned"])

        // AMD's real Milan chain with this CRL: not signed by AMD's ARK.
        let milan = try SNPCertificateChain(sorting: SNPVectors.certs("virtee-sev/tests/certs_data/cert_chain_milan"))
        XCTAssertEqual(milan.verify(at: at, crl: revoked).failures.map(\.name), ["crl-signed-by-ark"])
    }

    func testVLEKExtensionsIncludingCSPID() throws {
        let ext = try EndorsementKeyExtensions(try cert("vlek.der"))
        XCTAssertEqual(ext.cspID, "Test CSP")
        XCTAssertEqual(ext.productName, "Milan-B0")
        XCTAssertEqual(ext.structVersion, 1)
        XCTAssertNil(ext.hardwareID)
        XCTAssertEqual(ext.tcb(layout: .milanGenoa)?.description, "bootloader 3, tee 0, snp 8, microcode 115")
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
