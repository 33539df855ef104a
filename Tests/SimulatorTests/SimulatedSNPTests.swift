import Crypto
import _CryptoExtras
import Foundation
import SEVKit
import SEVLaunchSimulator
import SEVTestSupport
import XCTest

/// The simulated SEV-SNP AMD-SP in process: its launch measures what sev-snp-measure predicts,
/// SNP_LAUNCH_START and SNP_LAUNCH_FINISH refuse what the firmware refuses (with the ABI's
/// status), and the guest's reports verify under the rules applied to AMD's, except that the
/// simulated root is trusted only when named.
final class SimulatedSNPTests: XCTestCase {
    static let debianOVMF = "/usr/share/ovmf/OVMF.fd"
    static let keys = "virtee-sev-snp-measure/tests/keyfile"

    /// One simulated AMD root per product for the whole suite (RSA-2048 here to save time; a
    /// state directory gets AMD's 4096 bits, see `testStateDirectoryKeepsTheChip`).
    nonisolated(unsafe) private static var authorities: [AMDProduct: SimulatedSNPPlatform.Authority] = [:]

    private func platform(_ configuration: SimulatedSNPPlatform.Configuration = .milan) throws -> SimulatedSNPPlatform {
        let authority = try Self.authorities[configuration.product]
            ?? SimulatedSNPPlatform.Authority.generate(product: configuration.product, rsaBits: 2048)
        Self.authorities[configuration.product] = authority
        return try SimulatedSNPPlatform(configuration: configuration, authority: authority)
    }

    private func firmware() throws -> OVMFImage {
        guard FileManager.default.fileExists(atPath: Self.debianOVMF) else { try Peers.missing(Self.debianOVMF) }
        return try OVMFImage(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.debianOVMF))))
    }

    private func key(_ name: String) throws -> P384.Signing.PrivateKey {
        try SigningKeyFile.privateKey(pem: String(decoding: try TestData.bytes("\(Self.keys)/\(name)"), as: UTF8.self), name: name)
    }

    private func measure(_ arguments: [String]) throws -> String {
        let r = try Subprocess.run(try Peers.venvTool("sev-snp-measure"), arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func configuration(
        _ firmware: OVMFImage, vcpus: Int = 2, cpu: String = "EPYC-Milan", policy: UInt64 = 0x30000,
        hashTable: SEVHashTable? = nil, finish: SimulatedSNPGuest.Finish = .init()
    ) throws -> SimulatedSNPLaunchConfiguration {
        SimulatedSNPLaunchConfiguration(
            firmware: firmware, hashTable: hashTable, vcpus: vcpus, vcpuSignature: try XCTUnwrap(VCPUType.named(cpu)).signature,
            policy: policy, finish: finish)
    }

    /// A launch whose ID block was signed for the measurement `digest`.
    private func signedFinish(digest: [UInt8], policy: UInt64 = 0x30000, author: Bool = true, hostData: [UInt8]? = nil) throws -> SimulatedSNPGuest.Finish {
        let block = try IDBlock(launchDigest: digest, familyID: Array(repeating: 1, count: 16), imageID: Array(repeating: 2, count: 16), guestSVN: 5, policy: policy)
        let signed = try SignedIDBlock.sign(block, idKey: try key("id_key_test.pem"), authorKey: author ? try key("author_key_test.pem") : nil)
        return .init(idBlock: signed.block.bytes, idAuth: signed.auth.bytes, authorKeyEnabled: author, hostData: hostData)
    }

    private func status(_ body: () throws -> Void) -> SEVFirmwareStatus? {
        do {
            try body()
            return nil
        } catch let SimulatorError.firmware(status) {
            return status
        } catch let status as SEVFirmwareStatus {
            return status
        } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    // MARK: - Measurement against the peer

    func testMeasurementIsSevSnpMeasures() throws {
        let ovmf = try firmware()
        let platform = try platform()
        for (vcpus, cpu) in [(1, "EPYC-v4"), (2, "EPYC-Milan"), (4, "EPYC-Genoa"), (8, "EPYC-Turin")] {
            let guest = try SimulatedSNPLaunch.run(try configuration(ovmf, vcpus: vcpus, cpu: cpu), platform: platform)
            XCTAssertEqual(guest.state, .running)
            XCTAssertEqual(Hex.encode(guest.measurement),
                           try measure(["--mode", "snp", "--vcpus", "\(vcpus)", "--vcpu-type", cpu, "--ovmf", Self.debianOVMF]))
        }
    }

    /// Kernel hashes with the AmdSev footer: the SNP_KERNEL_HASHES page holds the table.
    func testKernelHashesMeasurementIsSevSnpMeasures() throws {
        let path = try TestData.url("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin").path
        let ovmf = try OVMFImage(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("snp-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let kernel = dir.appendingPathComponent("vmlinuz"), initrd = dir.appendingPathComponent("initrd")
        try Data(repeating: 0x4b, count: 1 << 20).write(to: kernel)
        try Data(repeating: 0x49, count: 3 << 20).write(to: initrd)
        let table = try SEVHashTable.hashing(kernel: kernel.path, initrd: initrd.path, append: "console=ttyS0")
        let guest = try SimulatedSNPLaunch.run(try configuration(ovmf, vcpus: 3, hashTable: table), platform: try platform())
        XCTAssertEqual(Hex.encode(guest.measurement), try measure([
            "--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Milan", "--ovmf", path,
            "--kernel", kernel.path, "--initrd", initrd.path, "--append", "console=ttyS0",
        ]))
        // Without kernel-hashes the page is a zero page: another digest, also the peer's.
        let plain = try SimulatedSNPLaunch.run(try configuration(ovmf, vcpus: 3), platform: try platform())
        XCTAssertEqual(Hex.encode(plain.measurement), try measure(["--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Milan", "--ovmf", path]))
        // A firmware without the section cannot take kernel hashes (QEMU's own refusal).
        XCTAssertThrowsError(try SimulatedSNPLaunch.run(try configuration(try firmware(), hashTable: table), platform: try platform())) {
            XCTAssertEqual("\($0)", "SEV: kernel specified but guest firmware has no hashes table GUID")
        }
    }

    // MARK: - SNP_LAUNCH_START

    func testLaunchStartPolicyChecks() throws {
        let smt = try platform()
        let cases: [(UInt64, SimulatedSNPPlatform, UInt32, String)] = [
            (0x10000, smt, 0x16, "SNP_LAUNCH_START: policy 0x10000 has reserved bit 17 clear; it must be 1"),
            (0x4030000, smt, 0x16, "SNP_LAUNCH_START: policy 0x4030000 sets reserved bits 0x4000000"),
            (0x20000, smt, 0x07, "SNP_LAUNCH_START: SMT is enabled on this platform and the policy does not allow it (bit 16)"),
            (0x30138, smt, 0x07, "SNP_LAUNCH_START: the policy requires firmware ABI 1.56, this firmware is 1.55"),
            (0x130000, try platform(.init(product: .milan, bootloader: 3, tee: 0, snp: 8, microcode: 115, abiMajor: 1, abiMinor: 55, build: 21, sockets: 2)),
             0x07, "SNP_LAUNCH_START: the policy asks for a single socket (bit 20) and this platform has 2"),
            (0x1030000, smt, 0x07, "SNP_LAUNCH_START: the policy requires ciphertext hiding (bit 24), which this platform does not have"),
        ]
        for (policy, platform, code, detail) in cases {
            var guest = SimulatedSNPGuest()
            let refusal = status { try guest.launchStart(policy: policy, platform: platform) }
            XCTAssertEqual(refusal?.code, code, detail)
            XCTAssertEqual(refusal?.detail, detail)
            XCTAssertEqual(guest.state, .uninit, "a refused command changes nothing")
        }
        // What the firmware accepts: ABI 1.55 exactly, one socket, no SMT on a platform without it.
        let noSMT = try platform(.init(product: .milan, bootloader: 3, tee: 0, snp: 8, microcode: 115, abiMajor: 1, abiMinor: 55, build: 21, smtEnabled: false))
        for (policy, platform) in [(UInt64(0x30137), smt), (0x130000, smt), (0x20000, noSMT), (0xb0000, smt)] {
            var guest = SimulatedSNPGuest()
            XCTAssertNil(status { try guest.launchStart(policy: policy, platform: platform) }, String(policy, radix: 16))
            XCTAssertEqual(guest.state, .launchUpdate)
        }
        var twice = SimulatedSNPGuest()
        try twice.launchStart(policy: 0x30000, platform: smt)
        XCTAssertEqual(status { try twice.launchStart(policy: 0x30000, platform: smt) }?.name, "INVALID_GUEST_STATE")
    }

    func testLaunchUpdateRefusesAPageTwice() throws {
        var guest = SimulatedSNPGuest()
        try guest.launchStart(policy: 0x30000, platform: try platform())
        try guest.launchUpdate(type: .zero, gpa: 0x800000)
        let before = guest.measurement
        XCTAssertEqual(status { try guest.launchUpdate(type: .secrets, gpa: 0x800000) }?.name, "INVALID_PAGE_STATE")
        XCTAssertEqual(status { try guest.launchUpdate(type: .normal, gpa: 0x801000, contents: [1, 2]) }?.name, "INVALID_LEN")
        XCTAssertEqual(status { try guest.launchUpdate(type: .zero, gpa: 0x801001) }?.name, "INVALID_ADDRESS")
        XCTAssertEqual(guest.measurement, before)
    }

    // MARK: - SNP_LAUNCH_FINISH

    func testLaunchFinishIDBlockChecks() throws {
        let ovmf = try firmware()
        let platform = try platform()
        let digest = try SimulatedSNPLaunch.run(try configuration(ovmf), platform: platform).measurement
        let good = try signedFinish(digest: digest)

        // The signed launch runs and binds the block.
        let guest = try SimulatedSNPLaunch.run(try configuration(ovmf, finish: good), platform: platform)
        XCTAssertEqual(guest.state, .running)
        XCTAssertEqual(guest.identity?.block.guestSVN, 5)

        func refusal(_ config: SimulatedSNPLaunchConfiguration) -> SEVFirmwareStatus? {
            status { _ = try SimulatedSNPLaunch.run(config, platform: platform) }
        }
        // Another vCPU count measures differently.
        let other = refusal(try configuration(ovmf, vcpus: 3, finish: good))
        XCTAssertEqual(other?.code, 0x0b)
        XCTAssertEqual(other?.name, "BAD_MEASUREMENT")
        XCTAssertTrue(other?.detail.hasPrefix("SNP_LAUNCH_FINISH: the ID block was signed for launch digest \(Hex.encode(digest)), this launch measured ") ?? false)
        // Another policy than the block's.
        let policy = refusal(try configuration(ovmf, policy: 0x30001, finish: good))
        XCTAssertEqual(policy?.code, 0x07)
        XCTAssertEqual(policy?.detail, "SNP_LAUNCH_FINISH: the ID block's policy 0x30000 is not the guest's 0x30001")
        // An ID auth made with another ID key.
        var wrongKey = good
        let foreign = try SignedIDBlock.sign(try IDBlock(bytes: good.idBlock!), idKey: P384.Signing.PrivateKey(), authorKey: try key("author_key_test.pem"))
        wrongKey.idAuth = Array(good.idAuth![0..<0x40]) + Array(foreign.auth.bytes[0x40..<0x240]) + Array(good.idAuth![0x240...])
        XCTAssertEqual(refusal(try configuration(ovmf, finish: wrongKey))?.detail,
                       "SNP_LAUNCH_FINISH: the ID block's signature does not verify with the ID key in the ID auth structure")
        // An author signature that is not over this ID key.
        var wrongAuthor = good
        wrongAuthor.idAuth = Array(good.idAuth![0..<0x680]) + Array(foreign.auth.bytes[0x680..<0x880]) + Array(good.idAuth![0x880...])
        XCTAssertEqual(refusal(try configuration(ovmf, finish: wrongAuthor))?.name, "BAD_SIGNATURE")
        // ...which goes unchecked without AUTHOR_KEY_EN, as on the firmware.
        wrongAuthor.authorKeyEnabled = false
        XCTAssertNil(refusal(try configuration(ovmf, finish: wrongAuthor)))
        // AUTHOR_KEY_EN without an ID block, and an ID block without its auth.
        XCTAssertEqual(refusal(try configuration(ovmf, finish: .init(authorKeyEnabled: true)))?.name, "INVALID_PARAM")
        XCTAssertEqual(refusal(try configuration(ovmf, finish: .init(idBlock: good.idBlock)))?.name, "INVALID_PARAM")
    }

    // MARK: - Reports

    func testReportVerifiesAgainstItsChainOnlyWhenTheTestRootIsNamed() throws {
        let ovmf = try firmware()
        let platform = try platform()
        let digest = try SimulatedSNPLaunch.run(try configuration(ovmf), platform: platform).measurement
        let hostData = Array(repeating: UInt8(0xab), count: 32)
        let guest = try SimulatedSNPLaunch.run(
            try configuration(ovmf, finish: try signedFinish(digest: digest, hostData: hostData)), platform: platform)
        let reportData = (0..<64).map { UInt8($0) }
        let report = try guest.report(reportData: reportData, vmpl: 1, platform: platform)

        XCTAssertEqual(report.version, 3)
        XCTAssertEqual(report.reportData, reportData)
        XCTAssertEqual(report.vmpl, 1)
        XCTAssertEqual(report.measurement, digest)
        XCTAssertEqual(report.hostData, hostData)
        XCTAssertEqual(report.guestSVN, 5)
        XCTAssertEqual(report.familyID, Array(repeating: 1, count: 16))
        XCTAssertEqual(report.idKeyDigest, SEVECDSAPublicKey(try key("id_key_test.pem").publicKey).digest)
        XCTAssertEqual(report.authorKeyDigest, SEVECDSAPublicKey(try key("author_key_test.pem").publicKey).digest)
        XCTAssertTrue(report.keyInfo.authorKeyEnabled)
        XCTAssertEqual(report.keyInfo.signingKey, .vcek)
        XCTAssertEqual(report.inferredProduct, .milan)
        XCTAssertEqual(report.chipID, platform.chipID)
        XCTAssertEqual(report.reportedTCB.description, "bootloader 3, tee 0, snp 8, microcode 115")
        XCTAssertEqual([report.currentMajor, report.currentMinor, report.currentBuild], [1, 55, 21])
        XCTAssertTrue(report.platformInfo.smtEnabled)
        XCTAssertEqual(report.reportIDMA, Array(repeating: 0xff, count: 32))

        let chain = try SNPCertificateChain(sorting: platform.certificates)
        var verifier = ReportVerifier(chain: chain)
        let untrusted = verifier.verify(report, at: Date())
        XCTAssertEqual(untrusted.failures.map(\.name), ["ark-pinned"], "the simulated ARK is never AMD's")
        verifier.testRoots = [platform.ark]
        let trusted = verifier.verify(report, at: Date())
        XCTAssertEqual(trusted.failures.map(\.name), [])
        XCTAssertEqual(trusted.first?.detail.hasSuffix("is a test root named by the caller, NOT one of AMD's"), true)
        XCTAssertTrue(trusted.map(\.name).contains("chip-binding"))

        // Any change to the signed bytes breaks the signature.
        var tampered = report.bytes
        tampered[0x90] ^= 1
        XCTAssertEqual(verifier.verify(try AttestationReport(bytes: tampered), at: Date()).failures.map(\.name), ["report-signature"])
    }

    /// A report from another chip under the same simulated root: its VCEK is not the chain's.
    func testReportOfAnotherChipFailsChipBindingAndSignature() throws {
        let ovmf = try firmware()
        let (one, two) = (try platform(), try platform())
        XCTAssertNotEqual(one.chipID, two.chipID)
        let guest = try SimulatedSNPLaunch.run(try configuration(ovmf), platform: two)
        let report = try guest.report(reportData: Array(repeating: 0, count: 64), platform: two)
        var verifier = ReportVerifier(chain: try SNPCertificateChain(sorting: one.certificates))
        verifier.testRoots = [one.ark]
        XCTAssertEqual(verifier.verify(report, at: Date()).failures.map(\.name), ["report-signature", "chip-binding"])
    }

    /// A Turin-like platform: report version 5, 8-byte chip id, TCB with an FMC level.
    func testTurinReportIsVersion5() throws {
        let platform = try platform(.turin)
        let guest = try SimulatedSNPLaunch.run(try configuration(try firmware(), cpu: "EPYC-Turin"), platform: platform)
        let report = try guest.report(reportData: Array(repeating: 7, count: 64), platform: platform)
        XCTAssertEqual(report.version, 5)
        XCTAssertEqual(report.inferredProduct, .turin)
        XCTAssertEqual(report.reportedTCB.layout, .turin)
        XCTAssertEqual(report.reportedTCB.description, "fmc 0, bootloader 1, tee 0, snp 3, microcode 9")
        XCTAssertEqual(report.launchMitigationVector, 0)
        XCTAssertEqual(Array(report.chipID[8...]), Array(repeating: 0, count: 56))
        var verifier = ReportVerifier(chain: try SNPCertificateChain(sorting: platform.certificates))
        verifier.testRoots = [platform.ark]
        XCTAssertEqual(verifier.verify(report, at: Date()).failures.map(\.name), [])
        let ext = try EndorsementKeyExtensions(platform.vcek)
        XCTAssertEqual(ext.productName, "Turin")
        XCTAssertEqual(ext.hardwareID, Array(platform.chipID.prefix(8)))
    }

    func testReportRequestChecks() throws {
        let platform = try platform()
        var guest = SimulatedSNPGuest()
        XCTAssertEqual(status { _ = try guest.report(reportData: Array(repeating: 0, count: 64), platform: platform) }?.name, "INVALID_GUEST_STATE")
        guest = try SimulatedSNPLaunch.run(try configuration(try firmware()), platform: platform)
        XCTAssertEqual(status { _ = try guest.report(reportData: [1], platform: platform) }?.name, "INVALID_LEN")
        XCTAssertEqual(status { _ = try guest.report(reportData: Array(repeating: 0, count: 64), vmpl: 4, platform: platform) }?.name, "INVALID_PARAM")
        let vlek = try SimulatedSNPLaunch.run(try configuration(try firmware(), finish: .init(vcekDisabled: true)), platform: platform)
        XCTAssertEqual(status { _ = try vlek.report(reportData: Array(repeating: 0, count: 64), platform: platform) }?.detail,
                       "the guest was launched with the VCEK disabled and this platform has no VLEK loaded")
    }

    /// A state directory keeps its chip (and AMD-sized RSA-4096 keys), in a 0600 file.
    func testStateDirectoryKeepsTheChip() throws {
        let directory = NSTemporaryDirectory() + "sevhost-snp-state-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try SimulatedSNPPlatform(stateDirectory: directory, configuration: .genoa)
        let second = try SimulatedSNPPlatform(stateDirectory: directory)
        XCTAssertEqual(first.chipID, second.chipID)
        XCTAssertEqual(first.certificates, second.certificates)
        XCTAssertEqual(second.configuration, .genoa)
        XCTAssertEqual(first.ark.signatureAlgorithm, .rsassaPSS(hash: .sha384, saltLength: 48))
        XCTAssertEqual(_RSA.Signing.PublicKey(first.ark.publicKey)?.keySizeInBits, 4096)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + SimulatedSNPPlatform.fileName)[.posixPermissions] as? Int
        XCTAssertEqual(mode.map { $0 & 0o777 }, 0o600)
        XCTAssertEqual(try SNPCertificateChain(sorting: second.certificates).verify(at: Date(), testRoots: [second.ark]).failures.map(\.name), [])
    }
}
