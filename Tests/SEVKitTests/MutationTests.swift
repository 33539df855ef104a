import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// The deterministic mutation suite (issue 17): every binary format sevhost reads, from AMD's
/// own files, cut at every offset, with every bit flipped, made longer, and given where another
/// format is expected. A parser must return or throw, never trap; every refusal is one line; a
/// format of fixed size refuses every other size. (libFuzzer explores further in ROBUSTNESS.md;
/// this suite is the part that runs on every test run and always tries the same inputs.)
final class MutationTests: XCTestCase {
    /// One format: a real sample, its parser, and whether its size is fixed.
    struct Format {
        var name: String
        var sample: [UInt8]
        /// Every prefix and every longer input is refused (the format has one size, or its
        /// encoding says how long it is).
        var fixedLength: Bool
        /// Another format's bytes are always refused (false for a VMSA page: any 4096 bytes
        /// are one).
        var recognisable = true
        /// Parses; returns nothing, throws the parser's error.
        var parse: ([UInt8]) throws -> Void
    }

    private func formats() throws -> [Format] {
        let certs = "virtee-sev/tests/certs_data"
        return [
            Format(name: "SNP attestation report", sample: try TestData.bytes("derived/snp-reports/virtee-sev_report_milan.bin"),
                   fixedLength: true) { bytes in
                let report = try AttestationReport(bytes: bytes)
                _ = report.textLines
            },
            Format(name: "VCEK (X.509 DER)", sample: try TestData.bytes("\(certs)/vcek_milan.der"), fixedLength: true) { bytes in
                let certificate = try SNPCertificate(derEncoded: bytes)
                _ = try? EndorsementKeyExtensions(certificate)
            },
            Format(name: "SEV PDH certificate", sample: try TestData.bytes("virtee-sev/tests/rome/pdh.cert"), fixedLength: true) { bytes in
                _ = try SEVPlatformCertificate(bytes: bytes, name: "pdh")
            },
            Format(name: "AMD ARK (SEV format)", sample: try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/ark.cert"), fixedLength: false) { bytes in
                _ = try AMDCACertificate(bytes: bytes)
            },
            Format(name: "SEV platform chain", sample: try Self.romeChain(), fixedLength: true) { bytes in
                _ = try SEVChainFile(bytes: bytes, name: "chain")
            },
            Format(name: "SNP certificate table", sample: try Self.table(), fixedLength: false) { bytes in
                _ = try SNPCertificateTable(bytes: bytes, name: "table")
            },
            // Any bytes are a firmware image; only its footer says whether it is one for SEV.
            Format(name: "OVMF footer and metadata", sample: try TestData.bytes("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin"),
                   fixedLength: false, recognisable: false) { bytes in
                let image = try OVMFImage(bytes: bytes)
                _ = (image.sevMetadata, image.sevESResetAddress, image.sevHashTableLocation, image.sevSecretLocation)
            },
            Format(name: "VMSA page", sample: try TestData.bytes("virtee-sevctl/tests/data/vmsa0.bin"), fixedLength: true,
                   recognisable: false) { bytes in
                _ = try VMSALayout.json(page: bytes, extended: true)
            },
            Format(name: "launch session blob", sample: Array(0..<128).map(UInt8.init), fixedLength: false) { bytes in
                _ = try LaunchSessionBlob(bytes: bytes)
            },
        ]
    }

    func testEveryTruncationIsRefusedOrParsedWithoutATrap() throws {
        for format in try formats() {
            XCTAssertNoThrow(try format.parse(format.sample), "\(format.name): the sample itself must parse")
            var refused = 0
            for length in 0..<format.sample.count {
                if let message = outcome(format, Array(format.sample.prefix(length))) {
                    refused += 1
                    XCTAssertFalse(message.contains("\n"), "\(format.name) cut at \(length): \(message)")
                } else if format.fixedLength {
                    XCTFail("\(format.name) cut at \(length) bytes was accepted")
                }
            }
            if format.fixedLength { XCTAssertEqual(refused, format.sample.count, format.name) }
        }
    }

    func testEveryBitFlipIsRefusedOrParsedWithoutATrap() throws {
        for format in try formats() {
            // Every bit of formats up to 1.5 KiB (a report, a PDH); of larger ones one bit of
            // every byte, the bit moving along, so every offset is hit.
            let everyBit = format.sample.count <= 1536
            for bit in Swift.stride(from: 0, to: format.sample.count * 8, by: everyBit ? 1 : 8) {
                var bytes = format.sample
                let index = bit / 8
                bytes[index] ^= 1 << (everyBit ? bit % 8 : index % 8)
                if let message = outcome(format, bytes) {
                    XCTAssertFalse(message.contains("\n"), "\(format.name) bit \(bit): \(message)")
                }
            }
        }
    }

    func testOversizeIsRefusedForFixedFormats() throws {
        for format in try formats() where format.fixedLength {
            for extra in [[UInt8](repeating: 0, count: 1), [UInt8](repeating: 0xff, count: 4096)] {
                let message = outcome(format, format.sample + extra)
                XCTAssertNotNil(message, "\(format.name) with \(extra.count) more bytes was accepted")
                XCTAssertFalse(message?.contains("\n") ?? false)
            }
        }
    }

    /// Each format where another is expected: refused in one line (none of AMD's samples is
    /// two formats at once).
    func testEveryFormatIsRefusedWhereAnotherIsExpected() throws {
        let all = try formats()
        for expected in all {
            for given in all where given.name != expected.name {
                if let message = outcome(expected, given.sample) {
                    XCTAssertFalse(message.contains("\n"), "\(given.name) as \(expected.name): \(message)")
                } else if expected.recognisable {
                    XCTFail("\(given.name) was accepted as \(expected.name)")
                }
            }
        }
    }

    /// The error's one-line text, nil when the input parsed.
    private func outcome(_ format: Format, _ bytes: [UInt8]) -> String? {
        do {
            try format.parse(bytes)
            return nil
        } catch {
            let text = "\(error)"
            return text.isEmpty ? "(empty message)" : text
        }
    }

    /// PDH, PEK, OCA, CEK of the Rome sample platform: a chain as `sevctl export` writes it.
    static func romeChain() throws -> [UInt8] {
        try ["pdh", "pek", "oca", "cek"].flatMap { try TestData.bytes("virtee-sev/tests/rome/\($0).cert") }
    }

    /// ARK, ASK and VCEK of Milan as a GHCB certificate table.
    static func table() throws -> [UInt8] {
        let ark = try SNPCertificate.decodeAll(try TestData.bytes("virtee-sev/src/certs/snp/builtin/milan/ark.pem"))[0].der
        let ask = try SNPCertificate.decodeAll(try TestData.bytes("virtee-sev/src/certs/snp/builtin/milan/ask.pem"))[0].der
        let vcek = try TestData.bytes("virtee-sev/tests/certs_data/vcek_milan.der")
        return SNPCertificateTable(entries: [
            .init(guid: SNPCertificateTable.ark, certificate: ark), .init(guid: SNPCertificateTable.ask, certificate: ask),
            .init(guid: SNPCertificateTable.vcek, certificate: vcek),
        ]).encoded
    }
}
