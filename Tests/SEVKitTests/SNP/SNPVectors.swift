import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// Access to `attestation-vectors.json` and the pool files it names.
enum SNPVectors {
    static func json() throws -> [String: Any] {
        try XCTUnwrap(TestData.json("attestation-vectors.json") as? [String: Any])
    }

    static func reports() throws -> [[String: Any]] {
        try XCTUnwrap(json()["reports"] as? [[String: Any]])
    }

    static func endorsementCerts() throws -> [[String: Any]] {
        try XCTUnwrap(json()["endorsement_certs"] as? [[String: Any]])
    }

    static func caChains() throws -> [[String: Any]] {
        try XCTUnwrap(json()["ca_chains"] as? [[String: Any]])
    }

    /// A report file: raw, or hex text (virtee's report_milan.hex).
    static func reportBytes(_ path: String) throws -> [UInt8] {
        let raw = try TestData.bytes(path)
        if raw.count == AttestationReport.size { return raw }
        return try XCTUnwrap(Hex.decode(String(decoding: raw, as: UTF8.self).filter { !$0.isWhitespace }))
    }

    static func certs(_ path: String) throws -> [SNPCertificate] {
        try SNPCertificate.decodeAll(TestData.bytes(path))
    }

    static func cert(_ path: String) throws -> SNPCertificate {
        try SNPCertificate(derEncoded: TestData.bytes(path))
    }

    /// The chain named by a report vector: its `signing_cert` under the product's KDS bundle.
    static func chain(for vector: [String: Any]) throws -> SNPCertificateChain {
        let leaf = try cert(try XCTUnwrap(vector["signing_cert"] as? String))
        let caPath: String
        switch vector["id"] as? String {
        case "trustee_milan_vcek": caPath = "confidential-containers-trustee/deps/verifier/src/snp/milan_ask_ark_asvk.pem"
        case "go_sev_guest_milan": caPath = "google-go-sev-guest/verify/trust/ask_ark_milan.pem"
        default: caPath = "virtee-sev/tests/certs_data/cert_chain_milan"
        }
        return try SNPCertificateChain(sorting: certs(caPath) + [leaf])
    }

    static func date(_ text: String) throws -> Date {
        // "2023-04-03 19:23:43+00:00"
        let f = ISO8601DateFormatter()
        return try XCTUnwrap(f.date(from: text.replacingOccurrences(of: " ", with: "T")))
    }

    /// A time at which every certificate of the pool is valid.
    static let poolTime = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z
}
