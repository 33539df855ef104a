import Foundation
import SEVTestSupport
import XCTest

/// `sevhost check` on domains and command lines written here by hand (never by sevhost), against
/// captured hosts: one test per rule, the failing cases of the support threads, and every domain
/// and argv `sevhost launch` writes for the templates.
final class CheckCommandTests: XCTestCase {
    static let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts")
    static let milan = hosts.appendingPathComponent("milan-snp").path

    struct Finding: Equatable, CustomStringConvertible {
        var rule: String
        var severity: String
        var location: String
        var description: String { "\(severity) \(rule) @ \(location)" }
    }

    struct Checked {
        var status: Int32
        var findings: [Finding]
        var raw: [[String: Any]]
        var text: String

        func problem(_ rule: String) -> String? { raw.first { $0["rule"] as? String == rule }?["problem"] as? String }
        func fix(_ rule: String) -> String? { raw.first { $0["rule"] as? String == rule }?["fix"] as? String }
    }

    private func run(_ arguments: [String]) throws -> Checked {
        let json = try Subprocess.sevhost(["check", "--json"] + arguments)
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stderr)
        let raw = try XCTUnwrap(document["findings"] as? [[String: Any]])
        let findings = raw.map { Finding(rule: $0["rule"] as! String, severity: $0["severity"] as! String, location: $0["location"] as! String) }
        XCTAssertEqual(document["passes"] as? Bool, json.status == 0)
        let text = try Subprocess.sevhost(["check"] + arguments)
        XCTAssertEqual(text.status, json.status)
        return Checked(status: json.status, findings: findings, raw: raw, text: text.stdout)
    }

    private func domain(_ xml: String, host: String = milan) throws -> Checked {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString).xml")
        try xml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run([file.path, "--host-root", host])
    }

    private func argv(_ arguments: [String], host: String = milan) throws -> Checked {
        try run(["--host-root", host, "--qemu-args", "--"] + arguments)
    }

    /// A libvirt SNP domain as a user writes one, with parts replaced.
    private func snpDomain(loader: String = "<loader type='rom'>/usr/share/ovmf/OVMF.fd</loader>", nvram: String = "",
                           security: String = "<policy>0x30000</policy>", attributes: String = "",
                           kernel: String = "", features: String = "<ioapic driver='qemu'/>") -> String {
        """
        <domain type='kvm'>
          <name>hand-written</name>
          <memory unit='GiB'>4</memory>
          <vcpu>2</vcpu>
          <os>
            <type arch='x86_64' machine='q35'>hvm</type>
            \(loader)
            \(nvram)
            \(kernel)
          </os>
          <features><acpi/><apic/>\(features)</features>
          <cpu mode='custom' match='exact'><model fallback='forbid'>EPYC-v4</model></cpu>
          <launchSecurity type='sev-snp'\(attributes)>
            \(security)
          </launchSecurity>
        </domain>
        """
    }

    /// A QEMU SNP command line as a user types one, with the guest object and firmware given.
    private func snpArgv(object: String = "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000",
                         firmware: [String] = ["-bios", "/usr/share/ovmf/OVMF.fd"], extra: [String] = [],
                         machine: String = "q35,confidential-guest-support=sev0,memory-backend=ram1,kernel-irqchip=split") -> [String] {
        ["qemu-system-x86_64", "-enable-kvm", "-cpu", "EPYC-v4", "-machine", machine, "-smp", "2", "-m", "2048M",
         "-object", "memory-backend-memfd,id=ram1,size=2048M,share=true,prealloc=false", "-object", object]
            + firmware + extra + ["-nographic"]
    }

    // MARK: - the threads' failing cases

    /// AMDSEV#253, apache/cloudstack#10009: `virsh start` of an SNP domain with pflash firmware
    /// and an NVRAM store, as SEV domains are written.
    func testVirshStartWithPflashFirmware() throws {
        let result = try domain(snpDomain(
            loader: "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>",
            nvram: "<nvram>/var/lib/libvirt/qemu/nvram/guest_VARS.fd</nvram>",
            security: "<cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x00030000</policy>", features: ""))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.findings, [
            Finding(rule: "snp-pflash", severity: "error", location: "<loader type='pflash'>"),
            Finding(rule: "snp-irqchip", severity: "warning", location: "<features><ioapic>"),
        ])
        XCTAssertEqual(result.fix("snp-pflash"), "<loader type='rom'>/usr/share/OVMF/OVMF_CODE.fd</loader> and no <nvram>")
        XCTAssertTrue(result.text.contains("ERROR snp-pflash: <loader type='pflash'>: SEV-SNP firmware is measured as ROM;"), result.text)
    }

    /// AMDSEV#223: the pre-9.1 command line, firmware on two pflash drives.
    func testSNPArgvWithPflashDrives() throws {
        let result = try argv(snpArgv(firmware: [
            "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on",
            "-drive", "if=pflash,format=raw,unit=1,file=/tmp/guest.fd",
        ]))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.findings.filter { $0.severity == "error" }, [
            Finding(rule: "snp-pflash", severity: "error", location: "-drive if=pflash,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd"),
        ])
    }

    /// AMDSEV#240: policy 0x70000 sets MIGRATE_MA, which no KVM accepts: ret=-22 fw_error=0.
    func testPolicyBitKVMDoesNotAccept() throws {
        let thread = ["qemu-system-x86_64", "--enable-kvm", "-cpu", "EPYC-v4", "-machine", "q35", "-smp", "4", "-m", "2048M",
                      "-no-reboot", "-machine", "memory-encryption=sev0,vmport=off",
                      "-object", "memory-backend-memfd,id=ram1,size=2048M,share=true,prealloc=false",
                      "-machine", "memory-backend=ram1",
                      "-object", "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,policy=0x70000",
                      "-bios", "/usr/share/sevhost/OVMF.amdsev.fd", "-kernel", "./vmlinuz-mainline-sev.unsigned.efi"]
        let result = try argv(thread)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.findings.filter { $0.severity == "error" }, [
            Finding(rule: "kvm-policy-bits", severity: "error", location: "-object sev-snp-guest,policy="),
        ])
        XCTAssertEqual(result.problem("kvm-policy-bits"),
                       "SNP policy 0x70000 sets bit 18 (MIGRATE_MA), which this host's KVM does not accept (0x1bffff, SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18): SNP_LAUNCH_START fails with ret=-22 fw_error=0")
        XCTAssertEqual(result.fix("kvm-policy-bits"), "clear it: 0x30000, or run on a kernel and firmware that accept it")
        // On Linux 7.0 KVM says which bits it accepts; CIPHERTEXT_HIDING (bit 24) is among them there.
        let newer = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x1030000"),
                             host: Self.hosts.appendingPathComponent("genoa-snp-features").path)
        XCTAssertFalse(newer.findings.contains { $0.rule == "kvm-policy-bits" }, "\(newer.findings)")
        let older = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x1030000"))
        XCTAssertEqual(older.problem("kvm-policy-bits"),
                       "SNP policy 0x1030000 sets bit 24 (CIPHERTEXT_HIDING), which this host's KVM does not accept (0x1bffff, SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18): SNP_LAUNCH_START fails with ret=-22 fw_error=0")
    }

    /// AMDSEV#262: kernel-hashes=on with an OVMF that is not the AmdSev build.
    func testKernelHashesWithoutTheAmdSevOVMF() throws {
        let result = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,kernel-hashes=on",
                                      extra: ["-kernel", "/boot/vmlinuz"]))
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.findings, [Finding(rule: "kernel-hashes", severity: "error", location: "-object sev-snp-guest,kernel-hashes=on")])
        XCTAssertEqual(result.problem("kernel-hashes"),
                       "/usr/share/ovmf/OVMF.fd has no SEV hashes table area: QEMU stops with \"SEV: guest firmware hashes table area is invalid (base=0x0 size=0x0)\" (or \"has no hashes table GUID\")")
        // With the AmdSev build the same line passes; SEV-ES domains are checked alike.
        let amdsev = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,kernel-hashes=on",
                                      firmware: ["-bios", "/usr/share/sevhost/OVMF.amdsev.fd"], extra: ["-kernel", "/boot/vmlinuz"]))
        XCTAssertEqual(amdsev.status, 0, "\(amdsev.findings)")
        let es = try domain("""
            <domain type='kvm'><name>es</name><memory>1048576</memory><vcpu>1</vcpu>
              <os><type arch='x86_64' machine='q35'>hvm</type>
                <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><kernel>/boot/vmlinuz</kernel></os>
              <launchSecurity type='sev' kernelHashes='yes'><policy>0x0005</policy></launchSecurity>
            </domain>
            """)
        XCTAssertEqual(es.findings, [
            Finding(rule: "kernel-hashes", severity: "error", location: "<launchSecurity type='sev' kernelHashes='yes'>"),
            Finding(rule: "vm-type", severity: "note", location: "<launchSecurity type='sev'>"),
        ])
    }

    // MARK: - one test per rule

    func testNoLaunchSecurity() throws {
        let result = try argv(["-machine", "q35", "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(result.findings, [Finding(rule: "no-launch-security", severity: "error", location: "-object sev-guest")])
        XCTAssertEqual(result.status, 1)
    }

    func testGuestObjectMustBeTheMachinesConfidentialGuestSupport() throws {
        let result = try argv(snpArgv(machine: "q35,memory-backend=ram1,kernel-irqchip=split"))
        XCTAssertEqual(result.findings, [Finding(rule: "guest-object", severity: "error", location: "-object sev-snp-guest")])
        XCTAssertEqual(result.fix("guest-object"), "-machine …,confidential-guest-support=sev0 (and id=sev0 on the object)")
    }

    func testPropertyTheObjectDoesNotHave() throws {
        let result = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,legacy-vm-type=off"))
        XCTAssertEqual(result.findings, [Finding(rule: "unknown-property", severity: "error", location: "-object sev-snp-guest,legacy-vm-type=")])
    }

    func testPolicyThatIsNotANumberAndReservedBits() throws {
        XCTAssertEqual(try domain(snpDomain(security: "<policy>smt</policy>")).findings,
                       [Finding(rule: "policy", severity: "error", location: "<launchSecurity type='sev-snp'> <policy>")])
        let bit17 = try domain(snpDomain(security: "<policy>0x10000</policy>"))
        XCTAssertEqual(bit17.findings.map(\.rule), ["policy-bit-17"])
        XCTAssertEqual(bit17.problem("policy-bit-17"),
                       "SNP policy 0x10000 lacks bit 17, which must be 1: KVM refuses SNP_LAUNCH_START (ret=-22 fw_error=0)")
        XCTAssertEqual(bit17.fix("policy-bit-17"), "set bit 17: 0x30000")
        let reserved = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x4000030000"))
        XCTAssertEqual(reserved.findings.map(\.rule), ["policy-reserved"])
        let sev = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x41",
                            "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on"])
        XCTAssertEqual(sev.findings.map(\.rule), ["policy-reserved"])
        XCTAssertEqual(sev.fix("policy-reserved"), "clear them: 0x1")
    }

    func testDebugIsAWarning() throws {
        let result = try domain(snpDomain(security: "<policy>0xb0000</policy>"))
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.findings, [Finding(rule: "debug", severity: "warning", location: "<launchSecurity type='sev-snp'> <policy>")])
        XCTAssertEqual(result.fix("debug"), "clear bit 19 for a production guest: 0x30000")
        let sev = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x0",
                            "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(sev.findings.map(\.rule), ["debug"])
    }

    func testSMTAgainstTheHost() throws {
        // milan-snp has SMT on: a policy without bit 16 fails SNP_LAUNCH_START with POLICY_FAILURE.
        let result = try domain(snpDomain(security: "<policy>0x20000</policy>"))
        XCTAssertEqual(result.findings, [Finding(rule: "smt", severity: "error", location: "<launchSecurity type='sev-snp'> <policy>")])
        XCTAssertEqual(result.problem("smt"),
                       "SNP policy 0x20000 does not allow SMT (bit 16) and SMT is on on this host: SNP_LAUNCH_START fails with POLICY_FAILURE (fw_error=7)")
    }

    func testABIMinimumAgainstTheFirmware() throws {
        // The host runs firmware 1.55; a policy asking for ABI 1.57 is refused.
        let result = try domain(snpDomain(security: "<policy>0x30139</policy>"))
        XCTAssertEqual(result.findings.map(\.rule), ["abi-minimum"])
        XCTAssertEqual(result.problem("abi-minimum"),
                       "SNP policy 0x30139 requires firmware ABI 1.57 (bits 15:0) and this host runs 1.55: SNP_LAUNCH_START fails with POLICY_FAILURE (fw_error=7)")
        XCTAssertEqual(try domain(snpDomain(security: "<policy>0x30137</policy>")).status, 0)
        let sev = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x3a010001",
                            "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(sev.findings.map(\.rule), ["abi-minimum"])
    }

    func testCbitposAndReducedPhysBitsAgainstTheHost() throws {
        let wrong = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=47,reduced-phys-bits=5,policy=0x30000"))
        XCTAssertEqual(wrong.findings.map(\.rule), ["cbitpos", "reduced-phys-bits"])
        XCTAssertEqual(wrong.problem("cbitpos"), "cbitpos 47 is not this host's 51: QEMU stops with \"cbitpos check failed\"")
        XCTAssertEqual(wrong.fix("cbitpos"), "cbitpos=51")
        let missing = try argv(snpArgv(object: "sev-snp-guest,id=sev0,policy=0x30000"))
        XCTAssertEqual(missing.findings.map(\.rule), ["cbitpos", "reduced-phys-bits"])
        // libvirt fills them in from the host when the domain leaves them out.
        XCTAssertEqual(try domain(snpDomain()).status, 0)
        XCTAssertEqual(try domain(snpDomain(security: "<cbitpos>47</cbitpos><policy>0x30000</policy>")).findings.map(\.rule), ["cbitpos"])
    }

    func testKVMSwitchesAndASIDsLeft() throws {
        let off = try domain(snpDomain(), host: Self.hosts.appendingPathComponent("milan-kvm-snp-off").path)
        XCTAssertEqual(off.findings.map(\.rule), ["host-kvm"])
        let none = try domain(snpDomain(), host: Self.hosts.appendingPathComponent("genoa-no-es-asids").path)
        XCTAssertEqual(none.findings.map(\.rule), ["host-kvm", "asids"])
        XCTAssertEqual(none.problem("asids"), "no SEV-SNP ASID is free on this host: KVM_SEV_INIT fails (EBUSY, or ENOTTY when the range is empty)")
    }

    func testFirmwareMetadataAndESResetBlock() throws {
        let snp = try domain(snpDomain(loader: "<loader type='rom'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"))
        XCTAssertEqual(snp.findings.map(\.rule), ["firmware-metadata", "firmware-es"])
        let missing = try domain(snpDomain(loader: "<loader type='rom'>/nowhere/OVMF.fd</loader>"))
        XCTAssertEqual(missing.findings, [Finding(rule: "firmware-unread", severity: "warning", location: "<loader type='rom'>")])
        XCTAssertEqual(missing.status, 0)
    }

    func testSEVESWithINIT2FromPflash() throws {
        let result = try argv(["-machine", "q35,confidential-guest-support=s",
                               "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x5,legacy-vm-type=off",
                               "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on"])
        XCTAssertEqual(result.findings.map(\.rule), ["es-init2-pflash", "vm-type"])
    }

    func testSNPMachineWiring() throws {
        let noBackend = try argv(["-machine", "q35,confidential-guest-support=sev0,kernel-irqchip=split", "-m", "2G",
                                  "-object", "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000", "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(noBackend.findings, [Finding(rule: "snp-memory-backend", severity: "warning", location: "-machine memory-backend=")])
        let dangling = try argv(snpArgv(machine: "q35,confidential-guest-support=sev0,memory-backend=ram9,kernel-irqchip=split"))
        XCTAssertEqual(dangling.findings.map(\.rule), ["snp-memory-backend"])
        XCTAssertEqual(dangling.status, 1)
        let sized = try argv(snpArgv(extra: ["-m", "4G"]))
        XCTAssertEqual(sized.problem("snp-memory-backend"),
                       "memory-backend-memfd ram1 is 2147483648 bytes and -m is 4294967296: QEMU stops (the backend must be all of guest RAM)")
        let irqchip = try argv(snpArgv(machine: "q35,confidential-guest-support=sev0,memory-backend=ram1"))
        XCTAssertEqual(irqchip.findings, [Finding(rule: "snp-irqchip", severity: "warning", location: "-machine kernel-irqchip=")])
    }

    func testVMTypeOfSEVES() throws {
        let auto = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x5",
                             "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(auto.status, 0)
        XCTAssertEqual(auto.problem("vm-type"),
                       "legacy-vm-type is not set (auto): QEMU 9.1 to 10.1 create the legacy VM type; KVM_SEV_ES_INIT leaves each VMSA's x87 control word and MXCSR zero, so the SEV-ES launch measurement depends on it")
        let init2 = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x5,legacy-vm-type=off",
                              "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(init2.fix("vm-type"), "predict the measurement with vm-type init2 (sevhost digest --vm-type init2, spec confidential.vm-type)")
        let bad = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x5,legacy-vm-type=maybe",
                            "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(bad.findings, [Finding(rule: "vm-type", severity: "error", location: "-object sev-guest,legacy-vm-type=")])
    }

    func testSessionFilesGoTogether() throws {
        let result = try argv(["-machine", "q35,confidential-guest-support=s",
                               "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x1,dh-cert-file=/tmp/godh.b64",
                               "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(result.findings, [Finding(rule: "session", severity: "error", location: "-object sev-guest,session-file=")])
    }

    func testSNPBlobs() throws {
        let short = try domain(snpDomain(security: "<policy>0x30000</policy><idBlock>AAAA</idBlock>"))
        XCTAssertEqual(short.findings.map(\.rule), ["snp-blob"])
        XCTAssertEqual(short.problem("snp-blob"), "decodes to 3 bytes; QEMU needs 96")
        let authOnly = try domain(snpDomain(security: "<policy>0x30000</policy><idAuth>\(Data(count: 4096).base64EncodedString())</idAuth>"))
        XCTAssertEqual(authOnly.findings.map(\.rule), ["snp-id-auth"])
        let authorKey = try domain(snpDomain(attributes: " authorKey='yes'"))
        XCTAssertEqual(authorKey.findings.map(\.rule), ["snp-id-auth"])
    }

    // MARK: - each rule in the other format
    //
    // The tests above write most rules in one format; these write each in the other, so every
    // rule has a hand-written domain and command line. guest-object, snp-memory-backend and
    // es-init2-pflash are QEMU's wiring, which libvirt writes itself (and libvirt has no
    // legacy-vm-type), so they have command lines only.

    private func snpPolicyArgv(_ policy: String, firmware: String = "/usr/share/ovmf/OVMF.fd", host: String = milan) throws -> Checked {
        try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=\(policy)", firmware: ["-bios", firmware]), host: host)
    }

    func testNoLaunchSecurityInADomain() throws {
        let plain = try domain("""
            <domain type='kvm'><name>plain</name><memory unit='GiB'>2</memory>
              <os><type arch='x86_64' machine='q35'>hvm</type><loader type='rom'>/usr/share/ovmf/OVMF.fd</loader></os>
            </domain>
            """)
        XCTAssertEqual(plain.status, 1)
        XCTAssertEqual(plain.findings, [Finding(rule: "no-launch-security", severity: "error", location: "<launchSecurity>")])
        XCTAssertEqual(plain.problem("no-launch-security"), "the domain has no <launchSecurity type='sev'> or type='sev-snp': the guest would run unencrypted")
        XCTAssertTrue(plain.text.hasSuffix(": the unencrypted launch (libvirt) would fail: 1 error, 0 warnings\n"), plain.text)
        let other = try domain(snpDomain().replacingOccurrences(of: "type='sev-snp'", with: "type='s390-pv'"))
        XCTAssertEqual(other.findings, [Finding(rule: "no-launch-security", severity: "error", location: "<launchSecurity>")])
        XCTAssertEqual(other.problem("no-launch-security"), "<launchSecurity type='s390-pv'> is not an SEV launch: sevhost checks type='sev' and type='sev-snp'")
    }

    func testPolicyRulesOnACommandLine() throws {
        let word = try snpPolicyArgv("smt")
        XCTAssertEqual(word.findings, [Finding(rule: "policy", severity: "error", location: "-object sev-snp-guest,policy=")])
        XCTAssertEqual(word.problem("policy"), "'smt' is not a number")
        let wide = try argv(["-machine", "q35,confidential-guest-support=s", "-object", "sev-guest,id=s,cbitpos=51,reduced-phys-bits=1,policy=0x100000001",
                             "-bios", "/usr/share/ovmf/OVMF.fd"])
        XCTAssertEqual(wide.findings, [Finding(rule: "policy", severity: "error", location: "-object sev-guest,policy=")])
        XCTAssertEqual(wide.problem("policy"), "0x100000001 does not fit the 32-bit SEV policy")
        let bit17 = try snpPolicyArgv("0x10000")
        XCTAssertEqual(bit17.findings, [Finding(rule: "policy-bit-17", severity: "error", location: "-object sev-snp-guest,policy=")])
        XCTAssertEqual(bit17.fix("policy-bit-17"), "set bit 17: 0x30000")
        let smt = try snpPolicyArgv("0x20000")
        XCTAssertEqual(smt.findings, [Finding(rule: "smt", severity: "error", location: "-object sev-snp-guest,policy=")])
        XCTAssertEqual(smt.fix("smt"), "set bit 16: 0x30000, or turn SMT off (echo off > /sys/devices/system/cpu/smt/control)")
        // The same host with SMT off takes the same policy.
        let smtOff = FileManager.default.temporaryDirectory.appendingPathComponent("milan-smt-off-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: Self.milan, toPath: smtOff.path)
        defer { try? FileManager.default.removeItem(at: smtOff) }
        try "0\n".write(to: smtOff.appendingPathComponent("sys/devices/system/cpu/smt/active"), atomically: true, encoding: .utf8)
        let off = try snpPolicyArgv("0x20000", host: smtOff.path)
        XCTAssertEqual(off.status, 0)
        XCTAssertEqual(off.findings, [])
    }

    func testPolicyRulesInADomain() throws {
        let reserved = try domain(snpDomain(security: "<policy>0x4000030000</policy>"))
        XCTAssertEqual(reserved.findings, [Finding(rule: "policy-reserved", severity: "error", location: "<launchSecurity type='sev-snp'> <policy>")])
        XCTAssertEqual(reserved.problem("policy-reserved"),
                       "SNP policy 0x4000030000 sets reserved bits 0x4000000000 (63:26): KVM refuses SNP_LAUNCH_START (ret=-22 fw_error=0)")
        let sev = try domain("""
            <domain type='kvm'><name>sev</name><memory unit='GiB'>2</memory>
              <os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>
              <launchSecurity type='sev'><policy>0x0041</policy></launchSecurity>
            </domain>
            """)
        XCTAssertEqual(sev.findings, [Finding(rule: "policy-reserved", severity: "error", location: "<launchSecurity type='sev'> <policy>")])
        XCTAssertEqual(sev.fix("policy-reserved"), "clear them: 0x1")
        // AMDSEV#240's policy in a domain: MIGRATE_MA, which this KVM does not accept.
        let migrate = try domain(snpDomain(security: "<policy>0x70000</policy>"))
        XCTAssertEqual(migrate.findings, [Finding(rule: "kvm-policy-bits", severity: "error", location: "<launchSecurity type='sev-snp'> <policy>")])
        XCTAssertEqual(migrate.problem("kvm-policy-bits"),
                       "SNP policy 0x70000 sets bit 18 (MIGRATE_MA), which this host's KVM does not accept (0x1bffff, SNP_POLICY_MASK_VALID of Linux 6.11 to 6.18): SNP_LAUNCH_START fails with ret=-22 fw_error=0")
    }

    func testHostRulesOnACommandLine() throws {
        let off = try snpPolicyArgv("0x30000", host: Self.hosts.appendingPathComponent("milan-kvm-snp-off").path)
        XCTAssertEqual(off.findings, [Finding(rule: "host-kvm", severity: "error", location: "-object sev-snp-guest")])
        XCTAssertEqual(off.problem("host-kvm"), "kvm_amd has sev_snp off on this host: KVM cannot create SEV-SNP guests")
        let none = try snpPolicyArgv("0x30000", host: Self.hosts.appendingPathComponent("genoa-no-es-asids").path)
        XCTAssertEqual(none.findings, [
            Finding(rule: "host-kvm", severity: "error", location: "-object sev-snp-guest"),
            Finding(rule: "asids", severity: "error", location: "-object sev-snp-guest"),
        ])
    }

    func testReducedPhysBitsInADomain() throws {
        let result = try domain(snpDomain(security: "<reducedPhysBits>7</reducedPhysBits><policy>0x30000</policy>"))
        XCTAssertEqual(result.findings, [Finding(rule: "reduced-phys-bits", severity: "error", location: "<launchSecurity type='sev-snp'> <reducedPhysBits>")])
        XCTAssertEqual(result.problem("reduced-phys-bits"),
                       "reduced-phys-bits 7 is not between 1 and this host's 1: QEMU stops with \"reduced-phys-bits check failed\"")
        XCTAssertEqual(result.fix("reduced-phys-bits"), "<reducedPhysBits>1</reducedPhysBits>")
    }

    /// A ROM firmware with a variable store beside it: the store would still be pflash.
    func testSNPVariableStoreBesideROMFirmware() throws {
        let xml = try domain(snpDomain(nvram: "<nvram>/var/lib/libvirt/qemu/nvram/x_VARS.fd</nvram>"))
        XCTAssertEqual(xml.findings, [Finding(rule: "snp-pflash", severity: "error", location: "<os><nvram>")])
        XCTAssertEqual(xml.fix("snp-pflash"), "remove <nvram>")
        let line = try argv(snpArgv(extra: ["-drive", "if=pflash,format=raw,unit=1,file=/tmp/guest_VARS.fd"]))
        XCTAssertEqual(line.findings, [Finding(rule: "snp-pflash", severity: "error", location: "-drive if=pflash,unit=1")])
        XCTAssertEqual(line.fix("snp-pflash"), "remove the unit 1 pflash drive")
    }

    func testFirmwareRulesOnACommandLine() throws {
        let small = try snpPolicyArgv("0x30000", firmware: "/usr/share/OVMF/OVMF_CODE_4M.fd")
        XCTAssertEqual(small.findings, [
            Finding(rule: "firmware-metadata", severity: "error", location: "-bios /usr/share/OVMF/OVMF_CODE_4M.fd"),
            Finding(rule: "firmware-es", severity: "error", location: "-bios /usr/share/OVMF/OVMF_CODE_4M.fd"),
        ])
        XCTAssertEqual(small.problem("firmware-metadata"),
                       "/usr/share/OVMF/OVMF_CODE_4M.fd has no SEV metadata, which an SNP launch needs: QEMU stops (\"Failed to locate SEV metadata header\")")
        let missing = try snpPolicyArgv("0x30000", firmware: "/nowhere/OVMF.fd")
        XCTAssertEqual(missing.status, 0)
        XCTAssertEqual(missing.findings, [Finding(rule: "firmware-unread", severity: "warning", location: "-bios /nowhere/OVMF.fd")])
        XCTAssertEqual(missing.problem("firmware-unread"),
                       "/nowhere/OVMF.fd is not in the captured host: the firmware's SEV metadata, SEV-ES reset block and hash tables were not checked")
        let unnamed = try argv(snpArgv(firmware: []))
        XCTAssertEqual(unnamed.findings, [Finding(rule: "firmware-unread", severity: "warning", location: "-bios")])
        XCTAssertEqual(unnamed.problem("firmware-unread"),
                       "no firmware is named: QEMU loads its default bios.bin (SeaBIOS), which is not an OVMF built for SEV; nothing was checked")
        let unnamedDomain = try domain(snpDomain(loader: ""))
        XCTAssertEqual(unnamedDomain.findings, [Finding(rule: "firmware-unread", severity: "warning", location: "<os><loader>")])
        XCTAssertEqual(unnamedDomain.problem("firmware-unread"), "no firmware file is named (libvirt picks one): its SEV metadata was not checked")
    }

    /// Kernel hashes with nothing booted directly measure nothing: a warning, in both formats.
    func testKernelHashesWithoutAKernel() throws {
        let line = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,kernel-hashes=on",
                                    firmware: ["-bios", "/usr/share/sevhost/OVMF.amdsev.fd"]))
        XCTAssertEqual(line.status, 0)
        XCTAssertEqual(line.findings, [Finding(rule: "kernel-hashes", severity: "warning", location: "-object sev-snp-guest,kernel-hashes=on")])
        XCTAssertEqual(line.fix("kernel-hashes"), "add -kernel (and -initrd, -append)")
        let xml = try domain(snpDomain(loader: "<loader type='rom'>/usr/share/sevhost/OVMF.amdsev.fd</loader>", attributes: " kernelHashes='yes'"))
        XCTAssertEqual(xml.findings, [Finding(rule: "kernel-hashes", severity: "warning", location: "<launchSecurity type='sev-snp' kernelHashes='yes'>")])
        XCTAssertEqual(xml.fix("kernel-hashes"), "add <kernel> (and <initrd>, <cmdline>) to <os>")
        // AMDSEV#262 in a domain: an SNP domain booting a kernel with hashes on, from Debian's OVMF.
        let thread = try domain(snpDomain(attributes: " kernelHashes='yes'", kernel: "<kernel>/boot/vmlinuz</kernel>"))
        XCTAssertEqual(thread.findings, [Finding(rule: "kernel-hashes", severity: "error", location: "<launchSecurity type='sev-snp' kernelHashes='yes'>")])
    }

    /// legacy-vm-type on a QEMU older than 9.1 (rome-sev-es has QEMU 6.2): QEMU stops.
    func testVMTypeOnAQEMUWithoutTheProperty() throws {
        let result = try argv(["-machine", "q35,confidential-guest-support=s",
                               "-object", "sev-guest,id=s,cbitpos=47,reduced-phys-bits=1,policy=0x5,legacy-vm-type=on", "-bios", "/usr/share/ovmf/OVMF.fd"],
                              host: Self.hosts.appendingPathComponent("rome-sev-es").path)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.findings, [
            Finding(rule: "vm-type", severity: "error", location: "-object sev-guest,legacy-vm-type="),
            Finding(rule: "vm-type", severity: "note", location: "-object sev-guest,legacy-vm-type="),
        ])
        XCTAssertEqual(result.problem("vm-type"), "QEMU 6.2 has no legacy-vm-type (it arrived in 9.1): it stops with \"Invalid parameter 'legacy-vm-type'\"")
    }

    func testSessionInADomain() throws {
        let result = try domain("""
            <domain type='kvm'><name>sev</name><memory unit='GiB'>2</memory>
              <os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>
              <launchSecurity type='sev'><policy>0x0001</policy><dhCert>AAAA</dhCert></launchSecurity>
            </domain>
            """)
        XCTAssertEqual(result.findings, [Finding(rule: "session", severity: "error", location: "<launchSecurity type='sev'> <session>")])
        XCTAssertEqual(result.fix("session"), "give both <dhCert> and <session>, or neither")
    }

    func testSNPBlobsOnACommandLine() throws {
        let hostData = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,host-data=AAAA"))
        XCTAssertEqual(hostData.findings, [Finding(rule: "snp-blob", severity: "error", location: "-object sev-snp-guest,host-data=")])
        XCTAssertEqual(hostData.problem("snp-blob"), "decodes to 3 bytes; QEMU needs 32")
        let notBase64 = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,id-block=!!!!"))
        XCTAssertEqual(notBase64.findings, [Finding(rule: "snp-blob", severity: "error", location: "-object sev-snp-guest,id-block=")])
        XCTAssertEqual(notBase64.problem("snp-blob"), "is not base64: QEMU stops")
        let authorKey = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,author-key-enabled=on"))
        XCTAssertEqual(authorKey.findings, [Finding(rule: "snp-id-auth", severity: "error", location: "-object sev-snp-guest,author-key-enabled=on")])
        let blockOnly = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,id-block=\(idBlock(digest: [UInt8](repeating: 1, count: 48), policy: 0x30000))"))
        XCTAssertEqual(blockOnly.findings.map(\.rule), ["snp-id-auth", "id-block"])
        XCTAssertEqual(blockOnly.problem("snp-id-auth"),
                       "an ID block without its ID authentication structure: SNP_LAUNCH_FINISH cannot check its signature")
    }

    // MARK: - what check says QEMU prints, against QEMU itself

    /// The text a finding quotes after "QEMU stops with" (or "it stops with").
    private func quotedRefusal(_ problem: String?, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let text = try XCTUnwrap(problem, file: file, line: line)
        let after = try XCTUnwrap(text.range(of: "stops with \""), text, file: file, line: line).upperBound
        return String(text[after...].prefix { $0 != "\"" })
    }

    /// Runs `arguments` (after the program name) in a real QEMU and returns what it printed.
    private func qemuRefusal(_ qemu: URL, _ arguments: [String]) throws -> String {
        let result = try Subprocess.run(qemu, arguments + ["-display", "none", "-S", "-nodefaults"])
        XCTAssertEqual(result.status, 1, result.stderr)
        return result.stderr
    }

    /// The refusals check quotes are QEMU's own words: an -object member in both of QEMU 10's
    /// forms, legacy-vm-type on QEMU 7.2 (rome-sev-es's QEMU is older than 9.1 too), and the
    /// cbitpos check under KVM (this CPU hides CPUID 0x8000001F, so QEMU sees host '0').
    func testQuotedRefusalsAreQEMUsOwn() throws {
        let qemu10 = try Peers.qemu10()
        let keyval = ["-machine", "q35,confidential-guest-support=sev0", "-accel", "tcg", "-bios", "/usr/share/ovmf/OVMF.fd",
                      "-object", "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,legacy-vm-type=off"]
        let keyvalFinding = try argv(keyval)
        XCTAssertEqual(keyvalFinding.problem("unknown-property"),
                       "-object sev-snp-guest has no property 'legacy-vm-type': QEMU stops with \"Invalid parameter 'legacy-vm-type'\"")
        XCTAssertTrue(try qemuRefusal(qemu10, keyval).contains(try quotedRefusal(keyvalFinding.problem("unknown-property"))))

        let json = ["-machine", "q35,confidential-guest-support=sev0", "-accel", "tcg", "-bios", "/usr/share/ovmf/OVMF.fd",
                    "-object", #"{"qom-type":"sev-snp-guest","id":"sev0","cbitpos":51,"reduced-phys-bits":1,"policy":196608,"legacy-vm-type":"off"}"#]
        let jsonFinding = try argv(json)
        XCTAssertEqual(jsonFinding.problem("unknown-property"),
                       "-object sev-snp-guest has no property 'legacy-vm-type': QEMU stops with \"Parameter 'legacy-vm-type' is unexpected\"")
        XCTAssertTrue(try qemuRefusal(qemu10, json).contains(try quotedRefusal(jsonFinding.problem("unknown-property"))))

        let sev = ["-machine", "q35,confidential-guest-support=sev0", "-accel", "tcg", "-bios", "/usr/share/ovmf/OVMF.fd",
                   "-object", "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x1,id-block=AAAA"]
        let sevFinding = try argv(sev)
        XCTAssertEqual(sevFinding.findings.map(\.rule), ["unknown-property"])
        XCTAssertTrue(try qemuRefusal(qemu10, sev).contains(try quotedRefusal(sevFinding.problem("unknown-property"))))

        let old = ["-machine", "q35,confidential-guest-support=sev0", "-accel", "tcg", "-bios", "/usr/share/ovmf/OVMF.fd",
                   "-object", "sev-guest,id=sev0,cbitpos=47,reduced-phys-bits=1,policy=0x5,legacy-vm-type=on"]
        let oldFinding = try argv(old, host: Self.hosts.appendingPathComponent("rome-sev-es").path)
        let vmType = try XCTUnwrap(oldFinding.raw.first { $0["rule"] as? String == "vm-type" && $0["severity"] as? String == "error" }?["problem"] as? String)
        XCTAssertTrue(try qemuRefusal(try Peers.qemu72(), old).contains(try quotedRefusal(vmType)))

        guard FileManager.default.isReadableFile(atPath: "/dev/kvm") else { try Peers.missing("/dev/kvm") }
        let cbit = ["-machine", "q35,confidential-guest-support=sev0", "-accel", "kvm", "-bios", "/usr/share/ovmf/OVMF.fd",
                    "-object", "sev-guest,id=sev0,cbitpos=47,reduced-phys-bits=1,policy=0x1"]
        let cbitFinding = try argv(cbit)
        XCTAssertEqual(cbitFinding.findings.map(\.rule), ["cbitpos"])
        XCTAssertTrue(try qemuRefusal(qemu10, cbit).contains("sev_common_kvm_init: \(try quotedRefusal(cbitFinding.problem("cbitpos"))), host '0' requested '47'"))
    }

    // MARK: - ID blocks: BAD_MEASUREMENT or POLICY_FAILURE (AMDSEV#212)

    /// An ID block written here: LD, zero family and image ids, version 1, SVN 0, policy.
    private func idBlock(digest: [UInt8], policy: UInt64) -> String {
        var block = digest + [UInt8](repeating: 0, count: 32) + [1, 0, 0, 0] + [0, 0, 0, 0]
        block += (0..<8).map { UInt8(truncatingIfNeeded: policy >> (8 * UInt64($0))) }
        return Data(block).base64EncodedString()
    }

    func testIDBlockDigestThenPolicy() throws {
        let ovmf = "/usr/share/ovmf/OVMF.fd"
        guard FileManager.default.fileExists(atPath: ovmf) else { try Peers.missing("Debian's OVMF (\(ovmf))") }
        // The launch digest from the peer, sev-snp-measure, for 2 EPYC-v4 vCPUs and that firmware.
        let measure = try Subprocess.run(try Peers.venvTool("sev-snp-measure"), [
            "--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", ovmf, "--output-format", "hex",
        ])
        XCTAssertEqual(measure.status, 0, measure.stderr)
        let hex = measure.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let digest = stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
        XCTAssertEqual(digest.count, 48)
        let auth = Data(count: 4096).base64EncodedString()
        func launch(block: String, policy: String) throws -> Checked {
            // This machine, not a capture: the digest needs the whole firmware image.
            try run(["--qemu-args", "--"] + snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=\(policy),id-block=\(block),id-auth=\(auth)"))
        }
        let wrongBoth = try launch(block: idBlock(digest: [UInt8](repeating: 0xab, count: 48), policy: 0x30000), policy: "0xb0000")
        let badMeasurement = try XCTUnwrap(wrongBoth.problem("id-block"))
        XCTAssertTrue(badMeasurement.hasPrefix("the ID block was signed for launch digest abababababababab… and these inputs measure \(hex.prefix(16))…: SNP_LAUNCH_FINISH fails with BAD_MEASUREMENT (fw_error=11); its policy differs too"), badMeasurement)
        let wrongPolicy = try launch(block: idBlock(digest: digest, policy: 0x30000), policy: "0xb0000")
        XCTAssertEqual(wrongPolicy.problem("id-block"),
                       "the ID block's policy 0x30000 is not the launch policy 0xb0000: SNP_LAUNCH_FINISH fails with POLICY_FAILURE (fw_error=7) (its digest matches)")
        let matching = try launch(block: idBlock(digest: digest, policy: 0x30000), policy: "0x30000")
        XCTAssertNil(matching.problem("id-block"), "\(matching.findings)")
        // On a captured host only the policy can be compared: the digest needs the whole image.
        let captured = try argv(snpArgv(object: "sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0xb0000,id-block=\(idBlock(digest: digest, policy: 0x30000)),id-auth=\(auth)"))
        XCTAssertEqual(captured.problem("id-block"), "the ID block's policy 0x30000 is not the launch policy 0xb0000: SNP_LAUNCH_FINISH fails with POLICY_FAILURE (fw_error=7)")
    }

    /// The ID block's policy against the domain's, on a captured host (the digest needs the whole
    /// firmware image, which a capture does not hold: said as a warning when the policies agree).
    func testIDBlockInADomain() throws {
        let auth = Data(count: 4096).base64EncodedString()
        let block = idBlock(digest: [UInt8](repeating: 0x5a, count: 48), policy: 0x30000)
        let differs = try domain(snpDomain(security: "<policy>0xb0000</policy><idBlock>\(block)</idBlock><idAuth>\(auth)</idAuth>"))
        XCTAssertEqual(differs.findings, [
            Finding(rule: "debug", severity: "warning", location: "<launchSecurity type='sev-snp'> <policy>"),
            Finding(rule: "id-block", severity: "error", location: "<launchSecurity type='sev-snp'> <idBlock>"),
        ])
        XCTAssertEqual(differs.problem("id-block"),
                       "the ID block's policy 0x30000 is not the launch policy 0xb0000: SNP_LAUNCH_FINISH fails with POLICY_FAILURE (fw_error=7)")
        XCTAssertEqual(differs.fix("id-block"), "launch with policy 0x30000, or sign a new ID block for 0xb0000")
        let agrees = try domain(snpDomain(security: "<policy>0x30000</policy><idBlock>\(block)</idBlock><idAuth>\(auth)</idAuth>"))
        XCTAssertEqual(agrees.status, 0)
        XCTAssertEqual(agrees.findings, [Finding(rule: "id-block", severity: "warning", location: "<launchSecurity type='sev-snp'> <idBlock>")])
        XCTAssertEqual(agrees.problem("id-block"), "its launch digest was not compared (a captured host holds only the firmware's tail); the policies match")
    }

    // MARK: - libvirt's own argv form, and what sevhost launch writes

    /// libvirt writes -object and -blockdev as JSON, the firmware through -machine pflash0.
    func testJSONFormsOfLibvirtsArgv() throws {
        let result = try argv([
            "/usr/bin/qemu-system-x86_64", "-name", "guest=QEMUGuest1,debug-threads=on", "-S",
            "-blockdev", #"{"driver":"file","filename":"/usr/share/OVMF/OVMF_CODE.fd","node-name":"libvirt-pflash0-storage","auto-read-only":true}"#,
            "-blockdev", #"{"node-name":"libvirt-pflash0-format","read-only":true,"driver":"raw","file":"libvirt-pflash0-storage"}"#,
            "-machine", "pc-q35-9.2,usb=off,memory-backend=pc.ram,confidential-guest-support=lsec0,pflash0=libvirt-pflash0-format,acpi=on",
            "-accel", "kvm", "-cpu", "EPYC-v4", "-m", "size=2097152k",
            "-object", #"{"qom-type":"memory-backend-ram","id":"pc.ram","size":2147483648}"#,
            "-smp", "1,sockets=1,cores=1,threads=1",
            "-object", #"{"qom-type":"sev-snp-guest","id":"lsec0","cbitpos":51,"reduced-phys-bits":1,"policy":196608,"author-key-enabled":false}"#,
        ])
        XCTAssertEqual(result.findings, [
            Finding(rule: "snp-pflash", severity: "error", location: "-machine pflash0=libvirt-pflash0-format"),
            Finding(rule: "snp-irqchip", severity: "warning", location: "-machine kernel-irqchip="),
        ])
        XCTAssertEqual(result.fix("snp-pflash"), "-bios /usr/share/OVMF/OVMF_CODE.fd instead of the pflash drives")
    }

    /// What check says of each template's output on milan-snp besides passing: the SEV-ES VM
    /// type, and for the ID block that a capture cannot give its digest (only its policy).
    static let templateFindings: [String: [Finding]] = [
        "sev-es.yaml qemu": [Finding(rule: "vm-type", severity: "note", location: "-object sev-guest,legacy-vm-type=")],
        "sev-es.yaml libvirt": [Finding(rule: "vm-type", severity: "note", location: "<launchSecurity type='sev'>")],
        "sev.json qemu": [], "sev.json libvirt": [], "sev.yaml qemu": [], "sev.yaml libvirt": [],
        "snp.yaml qemu": [], "snp.yaml libvirt": [],
        "snp-idblock.yaml qemu": [Finding(rule: "id-block", severity: "warning", location: "-object sev-snp-guest,id-block=")],
        "snp-idblock.yaml libvirt": [Finding(rule: "id-block", severity: "warning", location: "<launchSecurity type='sev-snp'> <idBlock>")],
        "snp-signed.yaml qemu": [Finding(rule: "id-block", severity: "warning", location: "-object sev-snp-guest,id-block=")],
        "snp-signed.yaml libvirt": [Finding(rule: "id-block", severity: "warning", location: "<launchSecurity type='sev-snp'> <idBlock>")],
    ]

    func testEveryTemplatesLaunchOutputPasses() throws {
        let templates = PackageRoot.url.appendingPathComponent("templates")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Every spec in templates/, so a template added later is checked too.
        let specs = try FileManager.default.contentsOfDirectory(atPath: templates.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted()
        XCTAssertTrue(Set(["sev-es.yaml", "sev.json", "sev.yaml", "snp-idblock.yaml", "snp-signed.yaml", "snp.yaml"]).isSubset(of: specs), "\(specs)")
        for template in specs {
            let spec = try Self.runnableTemplate(template, from: templates, in: directory)
            for output in ["qemu", "libvirt"] {
                let printed = try Subprocess.sevhost(["launch", spec, "--print", output,
                                                      "--host-root", Self.milan, "--templates", templates.path])
                XCTAssertEqual(printed.status, 0, "\(template) \(output): \(printed.stderr)")
                let file = directory.appendingPathComponent("\(template).\(output)")
                try printed.stdout.write(to: file, atomically: true, encoding: .utf8)
                let checked = try run([file.path, "--host-root", Self.milan])
                XCTAssertEqual(checked.status, 0, "\(template) \(output): \(checked.text)")
                XCTAssertEqual(checked.findings.filter { $0.severity == "error" }, [], "\(template) \(output)")
                if let expected = Self.templateFindings["\(template) \(output)"] {
                    XCTAssertEqual(checked.findings, expected, "\(template) \(output)")
                }
            }
        }
    }

    /// The template's path, or for a template that names signing keys relative to where sevhost
    /// runs (`id.pem`, `author.pem`), a copy in `directory` whose keys are fresh P-384 keys there.
    private static func runnableTemplate(_ template: String, from templates: URL, in directory: URL) throws -> String {
        let path = templates.appendingPathComponent(template).path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains("id-key: id.pem") else { return path }
        for (field, file) in [("id-key", "id.pem"), ("author-key", "author.pem")] {
            let key = directory.appendingPathComponent("\(template)-\(file)").path
            let made = try Subprocess.run(try Peers.executable("/usr/bin/openssl"), ["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", key])
            XCTAssertEqual(made.status, 0, made.stderr)
            text = text.replacingOccurrences(of: "\(field): \(file)", with: "\(field): \(key)")
        }
        let copy = directory.appendingPathComponent(template)
        try text.write(to: copy, atomically: true, encoding: .utf8)
        return copy.path
    }

    func testUsageAndBadInput() throws {
        let neither = try Subprocess.sevhost(["check"])
        XCTAssertEqual(neither.status, 64)
        XCTAssertTrue(neither.stderr.hasPrefix("sevhost: give a domain XML or command-line FILE, or --qemu-args -- ARGS"), neither.stderr)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString).xml")
        try "<domain><name>x</name>".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let broken = try Subprocess.sevhost(["check", file.path])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderr.hasPrefix("sevhost: \(file.path): line "), broken.stderr)
        XCTAssertEqual(broken.stdout, "")
        let unterminated = try Subprocess.sevhost(["check", "--qemu-args", "--", "-machine"])
        XCTAssertEqual(unterminated.stderr, "sevhost: --qemu-args: -machine: requires an argument\n")
        // The input's bytes in a refusal are escaped, never sent raw to a terminal.
        let escape = try Subprocess.sevhost(["check", "--qemu-args", "--", "-object", "{\"a\u{1b}[31m"])
        XCTAssertEqual(escape.status, 1)
        XCTAssertEqual(escape.stdout, "")
        XCTAssertEqual(escape.stderr, "sevhost: --qemu-args: '{\"a\\x1b[31m': not a JSON object\n")
    }
}
