import Foundation
import QMP
import SEVKit
import SEVLaunchSimulator
import SEVTestSupport
import XCTest

/// The simulated firmware on its own: its chain, LAUNCH_START's MAC checks, the state machine,
/// and QMP refusals as QEMU words them.
final class SimulatedGuestLaunchTests: XCTestCase {
    private func platform() throws -> SimulatedPlatform {
        let directory = NSTemporaryDirectory() + "sevhost-sim-platform-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try SimulatedPlatform(stateDirectory: directory)
    }

    func testChainVerifiesExceptThatItsRootIsNotAMDs() throws {
        let platform = try platform()
        let verification = SEVChainVerification(platform: platform.chain, ca: platform.ca)
        for link in verification.links {
            XCTAssertTrue(link.verdict.isValid, "\(link.name): \(link.verdict)")
        }
        XCTAssertNil(verification.anchorProduct)
        XCTAssertFalse(verification.isValid)
    }

    func testStateDirectoryKeepsThePlatformIdentity() throws {
        let directory = NSTemporaryDirectory() + "sevhost-sim-identity-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try SimulatedPlatform(stateDirectory: directory)
        let second = try SimulatedPlatform(stateDirectory: directory)
        XCTAssertEqual(first.chain.pdh.encoded, second.chain.pdh.encoded)
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/platform-keys.json")[.posixPermissions] as? Int
        XCTAssertEqual(mode.map { $0 & 0o777 }, 0o600)
    }

    func testLaunchStartRefusesASessionForAnotherPlatformOrPolicy() throws {
        let platform = try platform()
        let other = try self.platform()
        let session = try GuestOwnerSession(pdh: other.chain.pdh, policy: 0x1)
        var guest = SimulatedGuest()
        XCTAssertThrowsError(try guest.launchStart(platform: platform, policy: 0x1, godh: session.godhCertificate, session: session.blob)) { error in
            XCTAssertEqual((error as? SEVFirmwareStatus)?.name, "BAD_MEASUREMENT")
        }
        XCTAssertEqual(guest.state, .uninit)

        let mine = try GuestOwnerSession(pdh: platform.chain.pdh, policy: 0x1)
        XCTAssertThrowsError(try guest.launchStart(platform: platform, policy: 0x3, godh: mine.godhCertificate, session: mine.blob)) { error in
            XCTAssertEqual((error as? SEVFirmwareStatus)?.name, "POLICY_FAILURE")
        }
        XCTAssertEqual(guest.state, .uninit)
    }

    func testMeasurementAndSecretAgreeWithTheGuestOwnerCode() throws {
        let platform = try platform()
        let session = try GuestOwnerSession(pdh: platform.chain.pdh, policy: 0x1)
        var guest = SimulatedGuest()
        try guest.launchStart(platform: platform, policy: 0x1, godh: session.godhCertificate, session: session.blob)
        let memory = Array("firmware bytes".utf8)
        try guest.launchUpdateData(memory)
        let mnonce = [UInt8](repeating: 7, count: 16)
        let measurement = try guest.launchMeasure(mnonce: mnonce)
        let expected = LaunchMeasurement.expected(
            tik: session.tik, apiMajor: 1, apiMinor: 55, buildID: 21, policy: 0x1,
            launchDigest: Array(sha256(memory)), mnonce: mnonce)
        XCTAssertEqual(measurement, expected)
        XCTAssertThrowsError(try guest.launchUpdateData(memory)) { error in
            XCTAssertEqual((error as? SEVFirmwareStatus)?.name, "INVALID_GUEST_STATE")
        }

        let table = SecretTable(entries: [SecretTable.Entry(guid: GUID("736869e5-84f0-4973-92ec-06879ce3da0b")!, data: [1, 2, 3])])
        let packet = try LaunchSecretPacket(table: table, tek: session.tek, tik: session.tik, measurement: measurement.measurement, iv: LaunchSecretPacket.randomIV())
        XCTAssertEqual(try guest.launchSecret(header: packet.header, payload: packet.payload), try table.encoded())
        XCTAssertEqual(try GuestSecretTable(bytes: try table.encoded()).entries, table.entries)

        var tampered = packet.payload
        tampered[0] ^= 1
        XCTAssertThrowsError(try guest.launchSecret(header: packet.header, payload: tampered)) { error in
            XCTAssertEqual((error as? SEVFirmwareStatus)?.name, "BAD_MEASUREMENT")
        }
        try guest.launchFinish()
        XCTAssertThrowsError(try guest.launchSecret(header: packet.header, payload: packet.payload)) { error in
            XCTAssertEqual((error as? SEVFirmwareStatus)?.name, "INVALID_GUEST_STATE")
        }
    }

    func testQMPRefusesInjectionOutsideLaunchSecret() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let spec = try harness.writeSpec("guest.yaml")
        try harness.launch(spec: spec)
        let client = try await QMPClient.connect(path: harness.path("qmp.sock"), timeout: .seconds(10))
        let info = try await client.querySEV()
        XCTAssertEqual(info.state, .launchSecret)
        XCTAssertEqual(info.guestType, .sev)
        XCTAssertEqual(info.guest, .sev(policy: 0x1, handle: 1))
        try await client.cont()
        let resumed = try await client.nextEvent(named: ["RESUME"])
        XCTAssertEqual(resumed.name, "RESUME")
        do {
            try await client.injectLaunchSecret(packetHeader: [UInt8](repeating: 0, count: 52), secret: [UInt8](repeating: 0, count: 32))
            XCTFail("injected into a running guest")
        } catch .command(let error) {
            XCTAssertEqual(error.errorClass, "GenericError")
            XCTAssertEqual(error.message, "SEV: Not in correct state. (LSECRET) 3")
        }
        try await client.quit()
        await client.close()
    }
}

/// SHA-256 without importing Crypto into the test target.
private func sha256(_ bytes: [UInt8]) -> [UInt8] {
    // The SEV launch digest of a launch that measured only `bytes`, via the digest code's
    // streaming hasher.
    var hasher = StreamingSHA256()
    bytes.withUnsafeBytes { hasher.update($0) }
    return hasher.finalize()
}

/// The simulated PSP's launch digest against the independent reference, sev-snp-measure, whose
/// SEV-ES VMSAs are those of a KVM_SEV_INIT2 VM (the legacy ones are checked against libvirt's
/// validator in ValidatorAgreementTests).
final class SimulatedDigestPeerTests: XCTestCase {
    func testLaunchDigestsEqualSevSnpMeasure() throws {
        let measure = try Peers.venvTool("sev-snp-measure")
        let ovmf = "/usr/share/OVMF/OVMF_CODE.fd"
        guard let bytes = FileManager.default.contents(atPath: ovmf) else { try Peers.missing(ovmf) }
        let firmware = try OVMFImage(bytes: [UInt8](bytes))
        let directory = NSTemporaryDirectory() + "sevhost-sim-digest-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let platform = try SimulatedPlatform(stateDirectory: directory)
        let cases: [(policy: UInt32, arguments: [String])] = [
            (0x1, ["--mode", "sev"]),
            (0x5, ["--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4"]),
        ]
        for (policy, arguments) in cases {
            let guest = try SimulatedLaunch.run(
                SimulatedLaunchConfiguration(
                    firmware: firmware, policy: policy, godh: nil, session: nil, hashTable: nil, vcpus: 4,
                    vcpuSignature: VCPUType.named("EPYC-v4")!.signature, vmType: .init2),
                platform: platform)
            let reference = try Subprocess.run(measure, arguments + ["--ovmf", ovmf])
            XCTAssertEqual(reference.status, 0, reference.stderr)
            XCTAssertEqual(Hex.encode(try XCTUnwrap(guest.launchDigest)), reference.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(arguments)")
        }
    }

    /// The kernel-hashes path (`-kernel/-initrd/-append` with `kernel-hashes=on`), on the
    /// AmdSev firmware footer sev-snp-measure's own tests use.
    func testKernelHashesDigestsEqualSevSnpMeasure() throws {
        let measure = try Peers.venvTool("sev-snp-measure")
        let fixture = try TestData.url("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
        let firmware = try OVMFImage(bytes: [UInt8](try Data(contentsOf: fixture)))
        let directory = NSTemporaryDirectory() + "sevhost-sim-kernel-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let kernel = directory + "/vmlinuz", initrd = directory + "/initrd.img"
        try Data((0..<5000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: kernel))
        try Data((0..<3000).map { UInt8($0 % 241) }).write(to: URL(fileURLWithPath: initrd))
        let platform = try SimulatedPlatform(stateDirectory: directory + "/state")
        let table = try SEVHashTable.hashing(kernel: kernel, initrd: initrd, append: "console=ttyS0 root=/dev/vda1")
        let cases: [(policy: UInt32, arguments: [String])] = [
            (0x1, ["--mode", "sev"]),
            (0x5, ["--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Milan"]),
        ]
        for (policy, arguments) in cases {
            let guest = try SimulatedLaunch.run(
                SimulatedLaunchConfiguration(
                    firmware: firmware, policy: policy, godh: nil, session: nil, hashTable: table, vcpus: 2,
                    vcpuSignature: VCPUType.named("EPYC-Milan")!.signature, vmType: .init2),
                platform: platform)
            let reference = try Subprocess.run(measure, arguments + [
                "--ovmf", fixture.path, "--kernel", kernel, "--initrd", initrd, "--append", "console=ttyS0 root=/dev/vda1",
            ])
            XCTAssertEqual(reference.status, 0, reference.stderr)
            XCTAssertEqual(Hex.encode(try XCTUnwrap(guest.launchDigest)), reference.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(arguments)")
        }
    }
}

/// `sev-inject-launch-secret`'s checks, in QEMU's order and words, before the firmware's.
final class InjectRefusalTests: XCTestCase {
    func testAddressesOutsideGuestRAMAreRefusedAsQEMURefusesThem() async throws {
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        try harness.launch(spec: try harness.writeSpec("guest.yaml"))
        let client = try await QMPClient.connect(path: harness.path("qmp.sock"), timeout: .seconds(30))
        // Flags zero, a MAC that cannot verify: what the firmware refuses once QEMU's checks pass.
        let packet = (header: [UInt8](repeating: 0, count: 52), secret: [UInt8](repeating: 2, count: 32))
        let cases: [(UInt64?, String)] = [
            // Debian's OVMF lists a secret area at address 0, and QEMU takes it.
            (nil, "SEV: failed to inject secret ret=-5 fw_error=11 'Bad measurement'"),
            (0xffff_ffff_ffff_ffff, "SEV: Failed to calculate guest address: No memory is mapped at address 0xffffffffffffffff"),
            (0xfee0_0000, "SEV: Failed to calculate guest address: Memory at address 0xfee00000 is not RAM"),
            (0x9_fff0, "SEV: Failed to calculate guest address: Size of memory region at 0x9fff0 exceeded."),
            (0x80_c000, "SEV: failed to inject secret ret=-5 fw_error=11 'Bad measurement'"),
        ]
        for entry in cases {
            let refusal = await Self.refusal(client, header: packet.header, secret: packet.secret, gpa: entry.0)
            XCTAssertEqual(refusal, entry.1)
        }
        await client.close()
    }

    private static func refusal(_ client: QMPClient, header: [UInt8], secret: [UInt8], gpa: UInt64?) async -> String? {
        do {
            try await client.injectLaunchSecret(packetHeader: header, secret: secret, guestPhysicalAddress: gpa)
            return nil
        } catch {
            if case .command(let failure) = error { return failure.message }
            return "\(error)"
        }
    }
}
