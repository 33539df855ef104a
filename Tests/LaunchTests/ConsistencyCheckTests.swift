import Foundation
import Launch
import XCTest

/// Every refusal `LaunchPlan.resolve` makes, triggered once each, with its exact message.
final class ConsistencyCheckTests: XCTestCase {
    let noHashTable = FirmwareFacts(hasSEVMetadata: true, supportsSEVES: true, hasSEVHashTable: false, hasSNPKernelHashes: false)
    let noES = FirmwareFacts(hasSEVMetadata: false, supportsSEVES: false, hasSEVHashTable: false, hasSNPKernelHashes: false)

    func snp(_ edit: (inout VMSpec) -> Void = { _ in }) -> VMSpec {
        var spec = VMSpec(
            name: "t", vcpus: 1, memory: MemorySize(mebibytes: 1024),
            firmware: FirmwareSpec(path: "/fw/OVMF.fd"),
            confidential: ConfidentialSpec(type: .sevSNP, policy: "0x30000"))
        edit(&spec)
        return spec
    }

    func sev(_ type: ConfidentialType = .sev, policy: String? = "0x1", _ edit: (inout VMSpec) -> Void = { _ in }) -> VMSpec {
        var spec = VMSpec(
            name: "t", vcpus: 1, memory: MemorySize(mebibytes: 1024),
            firmware: FirmwareSpec(path: "/fw/OVMF_CODE.fd"),
            confidential: ConfidentialSpec(type: type, policy: policy))
        edit(&spec)
        return spec
    }

    func assertRefused(
        _ spec: VMSpec, firmware: FirmwareFacts? = Samples.capableFirmware, _ message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(
            try LaunchPlan.resolve(spec, host: Samples.host, firmware: firmware, readFile: Samples.files),
            file: file, line: line
        ) { error in
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    func testBaselinesAreAccepted() throws {
        XCTAssertNoThrow(try LaunchPlan.resolve(snp(), host: Samples.host, firmware: Samples.capableFirmware))
        XCTAssertNoThrow(try LaunchPlan.resolve(sev(), host: Samples.host, firmware: noES))
        XCTAssertNoThrow(try LaunchPlan.resolve(sev(.sevES, policy: "0x5"), host: Samples.host, firmware: Samples.capableFirmware))
    }

    func testSNPWithPflashMode() {
        assertRefused(
            snp { $0.firmware.mode = .pflash },
            "firmware: SEV-SNP guests boot firmware with -bios, never from pflash (firmware.mode is pflash)")
    }

    func testSNPWithPflashVariableStore() {
        assertRefused(
            snp { $0.firmware.vars = "/fw/VARS.fd" },
            "firmware: SEV-SNP guests boot firmware with -bios, never from pflash (firmware.vars asks for a pflash variable store)")
    }

    func testSNPPolicyWithoutBit17() {
        assertRefused(
            snp { $0.confidential.policy = "0x10000" },
            "confidential.policy: SNP policy 0x10000 lacks bit 17, which is reserved and must be 1; the firmware rejects it")
    }

    func testSNPPolicyReservedHighBits() {
        assertRefused(
            snp { $0.confidential.policy = "0x4000030000" },
            "confidential.policy: policy 0x4000030000 sets reserved bits 0x4000000000, which must be zero")
    }

    func testSEVPolicyReservedBits() {
        assertRefused(sev(policy: "0x41"), "confidential.policy: policy 0x41 sets reserved bits 0x40, which must be zero")
    }

    func testESBitWithoutESCapableFirmware() {
        assertRefused(
            sev(.sevES, policy: "nodbg,es"), firmware: noES,
            "firmware.path: /fw/OVMF_CODE.fd is not SEV-ES capable (no SEV-ES reset block), but the policy sets ES")
    }

    func testESTypeAndPolicyMustAgree() {
        assertRefused(sev(.sevES, policy: "0x1"), "confidential.policy: type sev-es needs the ES bit (0x4) in the policy, got 0x1")
        assertRefused(sev(.sev, policy: "0x5"), "confidential.policy: policy 0x5 sets the ES bit (0x4); use type sev-es")
    }

    func testSEVKernelHashesWithoutHashTable() {
        assertRefused(
            sev { $0.kernel = KernelSpec(path: "/k"); $0.confidential.kernelHashes = true }, firmware: noHashTable,
            "confidential.kernel-hashes: firmware /fw/OVMF_CODE.fd has no SEV hash table")
    }

    func testSNPKernelHashesWithoutHashesSection() {
        assertRefused(
            snp { $0.kernel = KernelSpec(path: "/k"); $0.confidential.kernelHashes = true }, firmware: noHashTable,
            "confidential.kernel-hashes: firmware /fw/OVMF.fd has no SNP kernel hashes section")
    }

    func testSNPFirmwareWithoutMetadata() {
        assertRefused(snp(), firmware: noES, "firmware.path: /fw/OVMF.fd has no SEV metadata, which SEV-SNP needs")
    }

    func testKernelHashesWithoutKernel() {
        assertRefused(
            snp { $0.confidential.kernelHashes = true },
            "confidential.kernel-hashes: needs direct kernel boot (a kernel: section)")
    }

    func testIDBlockNot96Bytes() {
        assertRefused(
            snp { $0.confidential.idBlock = Data(count: 95).base64EncodedString() },
            "confidential.id-block: is 95 bytes after base64 decoding; expected 96")
    }

    func testIDAuthNot4096Bytes() {
        assertRefused(
            snp { $0.confidential.idBlock = idBlock(policy: 0x30000); $0.confidential.idAuth = Data(count: 4095).base64EncodedString() },
            "confidential.id-auth: is 4095 bytes after base64 decoding; expected 4096")
    }

    func testHostDataNot32Bytes() {
        assertRefused(
            snp { $0.confidential.hostData = Data(count: 31).base64EncodedString() },
            "confidential.host-data: is 31 bytes after base64 decoding; expected 32")
    }

    func testWorkaroundsNot16Bytes() {
        assertRefused(
            snp { $0.confidential.guestVisibleWorkarounds = Data(count: 17).base64EncodedString() },
            "confidential.guest-visible-workarounds: is 17 bytes after base64 decoding; expected 16")
    }

    func testInvalidBase64() {
        assertRefused(snp { $0.confidential.hostData = "not base64!" }, "confidential.host-data: is not valid base64")
    }

    func idBlock(policy: UInt64) -> String {
        var bytes = [UInt8](repeating: 0xaa, count: 96)
        withUnsafeBytes(of: policy.littleEndian) { bytes.replaceSubrange(88..<96, with: $0) }
        return Data(bytes).base64EncodedString()
    }

    func testIDBlockPolicyDiffersFromLaunchPolicy() {
        assertRefused(
            snp { $0.confidential.idBlock = idBlock(policy: 0x130000) },
            "confidential.id-block: its policy 0x130000 differs from the launch policy 0x30000; the firmware rejects the launch")
        XCTAssertNoThrow(try LaunchPlan.resolve(
            snp { $0.confidential.idBlock = idBlock(policy: 0x30000) }, host: nil, firmware: Samples.capableFirmware))
    }

    func testSampleIDBlockCarriesItsPolicy() throws {
        var spec = try Samples.spec("snp-idblock.yaml")
        spec.confidential.policy = "smt,single-socket"
        assertRefused(
            spec,
            "confidential.id-block: its policy 0x30000 differs from the launch policy 0x130000; the firmware rejects the launch")
    }

    func testSNPDebugOnProduction() throws {
        assertRefused(
            snp { $0.confidential.policy = "smt,debug" },
            "confidential.policy: 0xb0000 sets DEBUG (bit 19) on a production spec; set allow-debug: true (or production: false) to allow it")
        XCTAssertNoThrow(try LaunchPlan.resolve(
            snp { $0.confidential.policy = "smt,debug"; $0.allowDebug = true }, host: nil, firmware: nil))
        XCTAssertNoThrow(try LaunchPlan.resolve(
            snp { $0.confidential.policy = "smt,debug"; $0.production = false }, host: nil, firmware: nil))
    }

    func testSEVDebugOnProduction() {
        assertRefused(
            sev(policy: "nosend"),
            "confidential.policy: 0x8 allows debugging (NODBG is clear) on a production spec; set allow-debug: true (or production: false) to allow it")
    }

    func testSNPOnlyFieldOnSEV() {
        assertRefused(sev { $0.confidential.hostData = "AA==" }, "confidential.host-data: does not apply to type sev")
    }

    func testSEVOnlyFieldOnSNP() {
        assertRefused(snp { $0.confidential.dhCertFile = "/x" }, "confidential.dh-cert-file: does not apply to type sev-snp")
        // KVM creates every SNP guest with KVM_SEV_INIT2: there is no VM type to choose.
        assertRefused(snp { $0.confidential.vmType = .init2 }, "confidential.vm-type: does not apply to type sev-snp")
    }

    /// The VM type defaults to QEMU's (legacy) and `--print json` states it.
    func testVMTypeDefaultIsStated() throws {
        let plan = try LaunchPlan.resolve(sev(.sevES, policy: "0x5"), host: Samples.host, firmware: Samples.capableFirmware)
        XCTAssertEqual(plan.vmType, .legacy)
        XCTAssertTrue(plan.json().contains("\"vm-type\" : \"legacy\""), plan.json())
        let init2 = try LaunchPlan.resolve(sev(.sevES, policy: "0x5") { $0.confidential.vmType = .init2 }, host: Samples.host, firmware: Samples.capableFirmware)
        XCTAssertEqual(init2.vmType, .init2)
        let snp = try LaunchPlan.resolve(snp(), host: Samples.host, firmware: Samples.capableFirmware)
        XCTAssertNil(snp.vmType)
        XCTAssertFalse(snp.json().contains("vm-type"))
    }

    func testPreAttestationNeedsQMP() {
        assertRefused(
            sev { $0.confidential.preAttestation = true },
            "confidential.pre-attestation: needs a qmp: socket to drive the paused guest")
    }

    func testSessionWithoutCertificate() {
        assertRefused(
            sev { $0.confidential.sessionFile = "/var/lib/sevhost/sev-guest/session.b64" },
            "confidential.dh-cert-file: dh-cert-file and session-file go together (LAUNCH_START takes both)")
    }

    func testUnreadableGODH() {
        assertRefused(
            sev { $0.confidential.dhCertFile = "/nonexistent/godh.b64"; $0.confidential.sessionFile = "/nonexistent/s" },
            "confidential.dh-cert-file: cannot read /nonexistent/godh.b64: No such file or directory")
    }

    func testAuthorKeyNeedsIDAuth() {
        assertRefused(
            snp { $0.confidential.authorKeyEnabled = true },
            "confidential.author-key-enabled: needs id-auth, which carries the author key")
    }

    func testBadPolicyText() {
        assertRefused(
            snp { $0.confidential.policy = "smt,nodbg" },
            "confidential.policy: cannot read 'smt,nodbg': unknown policy flag 'nodbg' (expected a hex value or names from: smt, migrate-ma, debug, single-socket, cxl-allow, mem-aes-256-xts, rapl-dis, ciphertext-hiding, page-swap-disable, abi=MAJOR.MINOR)")
    }

    func testBadNameAndNIC() {
        assertRefused(snp { $0.name = "a b" }, "name: 'a b' must be letters, digits, '.', '_' or '-'")
        assertRefused(snp { $0.nics = [NICSpec(type: .bridge)] }, "nics[0].bridge: is required for type bridge")
        assertRefused(
            snp { $0.nics = [NICSpec(type: .user, mac: "52:54:00:zz:00:01")] },
            "nics[0].mac: '52:54:00:zz:00:01' is not a MAC address such as 52:54:00:12:34:56")
    }

    func testDefaultPolicies() throws {
        XCTAssertEqual(try LaunchPlan.resolve(sev(policy: nil), host: nil, firmware: nil).policy.hex, "0x1")
        XCTAssertEqual(try LaunchPlan.resolve(sev(.sevES, policy: nil), host: nil, firmware: nil).policy.hex, "0x5")
        XCTAssertEqual(try LaunchPlan.resolve(snp { $0.confidential.policy = nil }, host: nil, firmware: nil).policy.hex, "0x30000")
    }
}
