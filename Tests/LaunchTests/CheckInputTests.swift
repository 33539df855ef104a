import Launch
import SEVKit
import XCTest

/// The readers behind `sevhost check`: QEMU's two option forms, shell-quoted command lines, and
/// libvirt domains, into one `LaunchDescription`.
final class CheckInputTests: XCTestCase {
    func testKeyValueAndJSONFormsReadAlike() throws {
        let plain = try QEMUProperties("sev-snp-guest,id=sev0,policy=0x30000,author-key-enabled=on,host-data=a,,b")
        XCTAssertEqual(plain.qomType, "sev-snp-guest")
        XCTAssertEqual(plain["host-data"], "a,b")
        XCTAssertEqual(plain.keys, ["id", "policy", "author-key-enabled", "host-data"])
        let json = try QEMUProperties(#"{"qom-type":"sev-snp-guest","id":"sev0","policy":196608,"author-key-enabled":true,"file":{"filename":"/x"}}"#)
        XCTAssertEqual(json.qomType, "sev-snp-guest")
        XCTAssertEqual(json["policy"], "196608")
        XCTAssertEqual(json["author-key-enabled"], "on")
        XCTAssertEqual(json["file.filename"], "/x")
        XCTAssertTrue(json.isJSON)
        XCTAssertThrowsError(try QEMUProperties("{not json"))
        // QEMU's short boolean forms.
        XCTAssertEqual(try QEMUProperties("sev-guest,kernel-hashes,noshare")["share"], "off")
    }

    func testShellWords() throws {
        XCTAssertEqual(try QEMUArgv.words(ofShellText: "qemu-system-x86_64 \\\n    -object 'sev-guest,id=s' -append \"console=ttyS0 a\\\"b\" # note\n-S"),
                       ["qemu-system-x86_64", "-object", "sev-guest,id=s", "-append", "console=ttyS0 a\"b", "-S"])
        XCTAssertThrowsError(try QEMUArgv.words(ofShellText: "-object 'sev-guest"))
    }

    func testArgvOptionsTakeValuesAsQEMUDoes() throws {
        let argv = try QEMUArgv(arguments: ["/usr/bin/qemu-system-x86_64", "-S", "-nodefaults", "--machine", "q35", "disk.img"])
        XCTAssertEqual(argv.options.map(\.name), ["S", "nodefaults", "machine", nil])
        XCTAssertEqual(argv.all("machine").first?.value, "q35")
        XCTAssertThrowsError(try QEMUArgv(arguments: ["-bios"])) { error in
            XCTAssertEqual((error as? LaunchCheckInputError)?.description, "-bios: requires an argument")
        }
    }

    func testQEMUDescription() throws {
        let launch = try LaunchDescription(qemu: QEMUArgv(arguments: [
            "-machine", "q35,confidential-guest-support=sev0,memory-backend=ram0", "-accel", "kvm,kernel-irqchip=split",
            "-smp", "cpus=4", "-m", "4G", "-cpu", "EPYC-Milan,+x2apic",
            "-object", "memory-backend-memfd,id=ram0,size=4096M,share=on",
            "-object", "sev-guest,id=sev0,policy=0x5,legacy-vm-type=off,dh-cert-file=/a,session-file=/b",
            "-drive", "if=pflash,format=raw,file=/fw/OVMF_CODE.fd,readonly=on", "-drive", "if=pflash,format=raw,file=/vm/VARS.fd",
        ]))
        XCTAssertEqual(launch.type, .sevES)
        XCTAssertEqual(launch.vcpus, 4)
        XCTAssertEqual(launch.cpuModel, "EPYC-Milan")
        XCTAssertEqual(launch.memoryBytes, 4 << 30)
        XCTAssertEqual(launch.memoryBackends["ram0"], LaunchDescription.MemoryBackend(type: "memory-backend-memfd", size: 4 << 30))
        XCTAssertEqual(launch.kernelIRQChip, "split")
        XCTAssertEqual(launch.firmwarePath, "/fw/OVMF_CODE.fd")
        XCTAssertEqual(launch.firmwareMapping, .pflash)
        XCTAssertEqual(launch.variableStore, "/vm/VARS.fd")
        XCTAssertEqual(launch.legacyVMType, "off")
        XCTAssertEqual(launch.dhCert, "/a")
        XCTAssertEqual(launch.unknownProperties, [])
    }

    func testLibvirtDescription() throws {
        let xml = try LibvirtDomainXML(text: """
            <?xml version='1.0'?>
            <domain type='kvm'>
              <memory unit='MiB'>2048</memory><vcpu placement='static'>2</vcpu>
              <os><type arch='x86_64' machine='q35'>hvm</type><loader type='rom'>/fw/OVMF.fd</loader>
                <kernel>/k</kernel><initrd>/i</initrd><cmdline>console=ttyS0 &amp; more</cmdline></os>
              <features><ioapic driver='qemu'/></features>
              <cpu mode='host-passthrough'/>
              <launchSecurity type='sev-snp' kernelHashes='yes' authorKey='yes'>
                <cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x00030000</policy>
              </launchSecurity>
            </domain>
            """)
        let launch = LaunchDescription(libvirt: xml)
        XCTAssertEqual(launch.type, .sevSNP)
        XCTAssertEqual(launch.memoryBytes, 2 << 30)
        XCTAssertEqual(launch.firmwareMapping, .rom)
        XCTAssertEqual(launch.append, "console=ttyS0 & more")
        XCTAssertEqual(launch.cpuModel, "host")
        XCTAssertEqual(launch.kernelIRQChip, "split")
        XCTAssertTrue(launch.kernelHashes)
        XCTAssertTrue(launch.authorKeyEnabled)
        XCTAssertEqual(launch.policyText, "0x00030000")
        XCTAssertThrowsError(try LibvirtDomainXML(text: "<network/>")) { error in
            XCTAssertEqual((error as? LaunchCheckInputError)?.description, "the root element is <network>, not a libvirt <domain>")
        }
        XCTAssertThrowsError(try LibvirtDomainXML(text: "<domain><name>x</domain>"))
    }

    /// The firmware's order at SNP_LAUNCH_FINISH: digest first, then policy.
    func testIDBlockVerdictOrder() throws {
        func block(_ digest: UInt8, policy: UInt64) -> [UInt8] {
            [UInt8](repeating: digest, count: 48) + [UInt8](repeating: 0, count: 40) + (0..<8).map { UInt8(truncatingIfNeeded: policy >> (8 * UInt64($0))) }
        }
        let predicted: Result<[UInt8], LaunchCheckInputError> = .success([UInt8](repeating: 1, count: 48))
        let both = IDBlockVerdict(block: block(2, policy: 0x30000), launchPolicy: 0xb0000, predictedDigest: predicted)
        XCTAssertEqual(both.outcome, .badMeasurement(signed: String(repeating: "02", count: 48), predicted: String(repeating: "01", count: 48)))
        XCTAssertTrue(both.policyAlsoDiffers)
        XCTAssertEqual(IDBlockVerdict(block: block(1, policy: 0x30000), launchPolicy: 0xb0000, predictedDigest: predicted).outcome, .policyFailure(blockPolicy: 0x30000))
        XCTAssertEqual(IDBlockVerdict(block: block(1, policy: 0x30000), launchPolicy: 0x30000, predictedDigest: predicted).outcome, .passes)
        XCTAssertEqual(IDBlockVerdict(block: block(1, policy: 0x30000), launchPolicy: 0x30000, predictedDigest: .failure(LaunchCheckInputError("x"))).outcome,
                       .digestUnknown("x"))
    }
}
