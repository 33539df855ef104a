import Crypto
import Foundation
import SEVPlatformSimulator
import SEVKit
import SEVPlatform
import XCTest

/// The simulated firmware through the `SEVFirmware` protocol: the commands change its state as
/// the SEV API says, and refuse what the firmware refuses, with the status code named.
final class SimulatedFirmwareTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-fw-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testFreshPlatformIsSelfOwnedAndItsChainVerifies() async throws {
        let firmware = SimulatedFirmware(directory: directory)
        let status = try await firmware.platformStatus()
        XCTAssertEqual(status, SEVPlatformStatus(apiMajor: 1, apiMinor: 55, build: 21, state: .initialized, flags: 0x100, guestCount: 0))
        let chain = try await firmware.exportPDH()
        let ca = try AMDCAChain(
            bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/ask_ark.cert"))), name: "ask_ark.cert")
        let verification = SEVChainVerification(platform: chain, ca: ca)
        XCTAssertEqual(verification.links.filter { !$0.verdict.isValid }.map(\.name), [])
        // The state holds private keys: 0600.
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/firmware-state.json")
        XCTAssertEqual(attributes[.posixPermissions] as? Int, 0o600)
    }

    func testOwnershipRoundTrip() async throws {
        let firmware = SimulatedFirmware(directory: directory)
        let ocaKey = P384.Signing.PrivateKey()
        var oca = SEVPlatformCertificate(usage: .oca, ecdsaKey: ocaKey.publicKey, apiMajor: 0, apiMinor: 0)
        try oca.sign(slot: 0, with: ocaKey, usage: .oca)

        let before = try await firmware.exportPDH()
        var pek = try await firmware.pekCSR()
        XCTAssertEqual(pek.publicKeyField, before.pek.publicKeyField)
        XCTAssertTrue(pek.signatures.allSatisfy(\.isEmpty))
        try pek.sign(slot: 0, with: ocaKey, usage: .oca)
        try await firmware.importPEK(pek, oca: oca)

        let after = try await firmware.exportPDH()
        XCTAssertEqual(after.oca, oca)
        XCTAssertEqual(after.pek.publicKeyField, before.pek.publicKeyField)
        XCTAssertNotEqual(after.pdh.publicKeyField, before.pdh.publicKeyField, "PEK_CERT_IMPORT makes a new PDH")
        XCTAssertTrue(SEVCertificateVerifier.verify(after.pek, signedBy: oca).isValid)
        XCTAssertTrue(SEVCertificateVerifier.verify(after.pek, signedBy: after.cek).isValid)
        XCTAssertTrue(SEVCertificateVerifier.verify(after.pdh, signedBy: after.pek).isValid)
        let owned = try await firmware.platformStatus()
        XCTAssertEqual(owned.flags.value, 0x101)

        // A second owner is refused until a reset.
        do {
            try await firmware.importPEK(pek, oca: oca)
            XCTFail("a second PEK_CERT_IMPORT succeeded")
        } catch {
            XCTAssertEqual(error.description, "PEK_CERT_IMPORT failed: firmware status 0x0005 ALREADY_OWNED: the platform is already owned by an external OCA; reset it first")
        }
        try await firmware.resetPlatform()
        let reset = try await firmware.exportPDH()
        XCTAssertNotEqual(reset.oca, oca)
        XCTAssertEqual(reset.cek, after.cek, "the CEK survives a reset")
        XCTAssertTrue(SEVCertificateVerifier.verify(reset.oca, signedBy: reset.oca).isValid)
        let selfOwned = try await firmware.platformStatus()
        XCTAssertEqual(selfOwned.flags.value, 0x100)
    }

    func testImportRejectsAPEKTheOCADidNotSign() async throws {
        let firmware = SimulatedFirmware(directory: directory)
        let ocaKey = P384.Signing.PrivateKey()
        var oca = SEVPlatformCertificate(usage: .oca, ecdsaKey: ocaKey.publicKey, apiMajor: 0, apiMinor: 0)
        try oca.sign(slot: 0, with: ocaKey, usage: .oca)
        var pek = try await firmware.pekCSR()
        try pek.sign(slot: 0, with: P384.Signing.PrivateKey(), usage: .oca)
        do {
            try await firmware.importPEK(pek, oca: oca)
            XCTFail("an unsigned PEK was imported")
        } catch {
            XCTAssertEqual(error.status, .badSignature)
        }
    }

    func testRotateChangesPDHOrPEK() async throws {
        let firmware = SimulatedFirmware(directory: directory)
        let first = try await firmware.exportPDH()
        try await firmware.generatePDH()
        let second = try await firmware.exportPDH()
        XCTAssertEqual(second.pek, first.pek)
        XCTAssertNotEqual(second.pdh.publicKeyField, first.pdh.publicKeyField)
        try await firmware.generatePEK()
        let third = try await firmware.exportPDH()
        XCTAssertNotEqual(third.pek.publicKeyField, second.pek.publicKeyField)
        XCTAssertTrue(SEVCertificateVerifier.verify(third.pdh, signedBy: third.pek).isValid)
    }

    func testSNPConfigSetResetCommitChangeTheReportedTCB() async throws {
        let firmware = SimulatedFirmware(directory: directory)
        let committed = TCBVersion(bootloader: 3, tee: 0, snp: 14, microcode: 209).raw
        let current = TCBVersion(bootloader: 3, tee: 0, snp: 22, microcode: 213).raw
        var status = try await firmware.snpPlatformStatus()
        XCTAssertEqual(status.currentTCB, current)
        XCTAssertEqual(status.reportedTCB, committed)

        let lower = TCBVersion(bootloader: 2, tee: 0, snp: 10, microcode: 200).raw
        try await firmware.snpSetConfig(SNPConfig(reportedTCB: lower, maskChipID: true))
        status = try await firmware.snpPlatformStatus()
        XCTAssertEqual(status.reportedTCB, lower)
        XCTAssertTrue(status.maskChipID)

        do {
            try await firmware.snpSetConfig(SNPConfig(reportedTCB: TCBVersion(bootloader: 3, tee: 0, snp: 23, microcode: 213).raw))
            XCTFail("a reported TCB above the platform's was accepted")
        } catch {
            XCTAssertEqual(error.description, "SNP_SET_CONFIG failed: firmware status 0x0016 INVALID_PARAM: a parameter of the command is invalid")
        }

        try await firmware.snpSetConfig(SNPConfig(reportedTCB: 0))
        status = try await firmware.snpPlatformStatus()
        XCTAssertEqual(status.reportedTCB, committed)
        XCTAssertFalse(status.maskChipID)

        try await firmware.snpCommit()
        status = try await firmware.snpPlatformStatus()
        XCTAssertEqual(status.reportedTCB, current)
        try await firmware.snpSetConfig(SNPConfig(reportedTCB: 0))
        status = try await firmware.snpPlatformStatus()
        XCTAssertEqual(status.reportedTCB, current, "after a commit, reset reports the newly committed TCB")
    }

    func testCertificateTableRoundTrip() async throws {
        let firmware = SimulatedFirmware(directory: directory)
        let empty = try await firmware.snpCertificates()
        XCTAssertEqual(empty.entries, [])
        let table = SNPCertificateTable(entries: [
            .init(guid: SNPCertificateTable.ark, certificate: [0x30, 1, 2]),
            .init(guid: SNPCertificateTable.vcek, certificate: [0x30, 9]),
        ])
        try await firmware.setSNPCertificates(table)
        let read = try await firmware.snpCertificates()
        XCTAssertEqual(read, table)
    }

    func testCorruptStateIsOneSentenceNamingTheFile() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("{\"api-major\": 1}".utf8).write(to: URL(fileURLWithPath: directory + "/firmware-state.json"))
        do {
            _ = try await SimulatedFirmware(directory: directory).platformStatus()
            XCTFail("a corrupt state was accepted")
        } catch {
            XCTAssertEqual(error.description, "\(directory!)/firmware-state.json: not a simulated firmware state: missing key \"api-minor\"")
        }
    }
}
