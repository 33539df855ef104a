import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// Every single-bit change to what a verifier relies on must be caught: each bit of the signed
/// area (0x000-0x29F) and of the signature (r and s), and each bit of the VCEK's DER.
///
/// The chain is parsed once; each flipped report costs one ECDSA verification, each flipped
/// VCEK one parse and one RSA-PSS verification (plus ECDSA only if the chain still held). The
/// byte positions are spread over the available cores.
final class BitFlipTests: XCTestCase {
    /// Runs `body` for every element, concurrently, and collects what it returns.
    private func collect<T: Sendable>(_ items: [T], _ body: @Sendable (T) -> [String]) -> [String] {
        let lock = NSLock()
        nonisolated(unsafe) var found: [String] = []
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let r = body(items[i])
            if !r.isEmpty { lock.lock(); found += r; lock.unlock() }
        }
        return found.sorted()
    }

    private func fixture() throws -> (SNPCertificateChain, [UInt8]) {
        let vector = try XCTUnwrap(SNPVectors.reports().first { $0["id"] as? String == "virtee_sev_milan" })
        return (try SNPVectors.chain(for: vector), try SNPVectors.reportBytes(vector["report_file"] as! String))
    }

    func testEveryFlippedBitOfTheSignedAreaAndSignatureFails() throws {
        let (chain, original) = try fixture()
        let verifier = ReportVerifier(chain: chain)
        XCTAssertTrue(verifier.signatureIsValid(try AttestationReport(bytes: original)))
        let offsets = Array(AttestationReport.signedRange) + Array(0x2A0..<(0x2A0 + 144))
        let accepted = collect(offsets) { offset in
            var found: [String] = []
            for bit in 0..<8 {
                var bytes = original
                bytes[offset] ^= 1 << bit
                // A flip that makes the report undecodable (VERSION) is a failure too.
                guard let report = try? AttestationReport(bytes: bytes) else { continue }
                if verifier.signatureIsValid(report) { found.append("byte 0x\(String(offset, radix: 16)) bit \(bit)") }
            }
            return found
        }
        XCTAssertEqual(accepted, [])
        XCTAssertEqual(offsets.count * 8, (0x2A0 + 144) * 8)
    }

    func testEveryFlippedBitOfTheVCEKFails() throws {
        let (chain, reportBytes) = try fixture()
        let report = try AttestationReport(bytes: reportBytes)
        let vcekDER = try XCTUnwrap(chain.endorsementKey).der
        let accepted = collect(Array(vcekDER.indices)) { offset in
            var found: [String] = []
            for bit in 0..<8 {
                var der = vcekDER
                der[offset] ^= 1 << bit
                guard let vcek = try? SNPCertificate(derEncoded: der) else { continue }
                var flipped = chain
                flipped.endorsementKey = vcek
                guard vcek.isSigned(by: chain.intermediate) else { continue }
                let checks = ReportVerifier(chain: flipped).verify(report, at: SNPVectors.poolTime)
                if checks.allPassed { found.append("byte \(offset) bit \(bit)") }
            }
            return found
        }
        XCTAssertEqual(accepted, [])
    }
}
