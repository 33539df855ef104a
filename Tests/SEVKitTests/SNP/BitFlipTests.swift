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
    /// What the flips of one byte came to: those the verifier accepted (must be none) and how
    /// many got as far as the verifier at all (the rest were refused by the decoder).
    private struct Outcome: Sendable {
        var accepted: [String] = []
        var reached = 0
    }

    /// Runs `body` for every element, concurrently, and adds up what it returns.
    private func collect<T: Sendable>(_ items: [T], _ body: @Sendable (T) -> Outcome) -> Outcome {
        let lock = NSLock()
        nonisolated(unsafe) var total = Outcome()
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let r = body(items[i])
            lock.lock()
            total.accepted += r.accepted
            total.reached += r.reached
            lock.unlock()
        }
        total.accepted.sort()
        return total
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
        let outcome = collect(offsets) { offset in
            var outcome = Outcome()
            for bit in 0..<8 {
                var bytes = original
                bytes[offset] ^= 1 << bit
                // A flip that makes the report undecodable (VERSION) is a failure too.
                guard let report = try? AttestationReport(bytes: bytes) else { continue }
                outcome.reached += 1
                if verifier.signatureIsValid(report) { outcome.accepted.append("byte 0x\(String(offset, radix: 16)) bit \(bit)") }
            }
            return outcome
        }
        XCTAssertEqual(outcome.accepted, [])
        // Only VERSION (bytes 0-3, here 2) is refused by the decoder: of its 32 flips, the one
        // that makes it 3 still decodes; every other flip of the 0x330 bytes reaches the check.
        XCTAssertEqual(try AttestationReport(bytes: original).version, 2)
        XCTAssertEqual(outcome.reached, (0x2A0 + 144) * 8 - 31)
    }

    func testEveryFlippedBitOfTheVCEKFails() throws {
        let (chain, reportBytes) = try fixture()
        let report = try AttestationReport(bytes: reportBytes)
        let vcekDER = try XCTUnwrap(chain.endorsementKey).der
        XCTAssertTrue(ReportVerifier(chain: chain).verify(report, at: SNPVectors.poolTime).allPassed)
        let outcome = collect(Array(vcekDER.indices)) { offset in
            var outcome = Outcome()
            for bit in 0..<8 {
                var der = vcekDER
                der[offset] ^= 1 << bit
                // A flip the DER parser refuses cannot be presented as a VCEK at all.
                guard let vcek = try? SNPCertificate(derEncoded: der) else { continue }
                var flipped = chain
                flipped.endorsementKey = vcek
                outcome.reached += 1
                let checks = ReportVerifier(chain: flipped).verify(report, at: SNPVectors.poolTime)
                if checks.allPassed { outcome.accepted.append("byte \(offset) bit \(bit)") }
            }
            return outcome
        }
        XCTAssertEqual(outcome.accepted, [])
        XCTAssertEqual(vcekDER.count * 8, VCEKFlips.total)
        XCTAssertEqual(outcome.reached, VCEKFlips.reachingTheVerifier)
    }
}

/// The flips of the Milan VCEK (1360 bytes of DER): how many the DER parser (swift-certificates)
/// still reads as a certificate, each of which the full verification must then refuse. Measured
/// once and pinned, so that a test that checked nothing (every flip refused before the
/// verifier, as when the verifier sat behind a signature pre-check) cannot pass unnoticed; a
/// change means the parser accepts more or less than before: look at why.
private enum VCEKFlips {
    static let total = 1360 * 8
    static let reachingTheVerifier = 7532
}
