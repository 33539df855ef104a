import Foundation
import SEVTestSupport
import XCTest

/// `sevhost launch` and `sevhost policy` through the built binary.
final class LaunchCommandTests: XCTestCase {
    var templates: URL { PackageRoot.url.appendingPathComponent("templates") }

    func testPrintQEMU() throws {
        let result = try Subprocess.sevhost([
            "launch", templates.appendingPathComponent("snp.yaml").path, "--print", "qemu",
            "--cbitpos", "51", "--reduced-phys-bits", "1", "--qemu", "/usr/bin/qemu-system-x86_64",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            /usr/bin/qemu-system-x86_64 \\
                -name guest=snp-guest \\
                -machine q35,confidential-guest-support=sev0,memory-backend=ram0,kernel-irqchip=split \\
                -accel kvm \\
                -cpu EPYC-v4 \\
                -smp 4 \\
                -m 8192M \\
                -object memory-backend-memfd,id=ram0,size=8192M,share=on \\
                -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,vcek-disabled=off \\
                -bios /usr/share/ovmf/OVMF.fd \\
                -drive file=/var/lib/sevhost/snp-guest/disk.qcow2,if=none,id=disk0,format=qcow2 \\
                -device virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on \\
                -netdev tap,id=net0,ifname=tap0,script=no,downscript=no \\
                -device virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on \\
                -display none \\
                -qmp unix:/run/sevhost/snp-guest.qmp,server=on,wait=off

            """)
    }

    /// Without --print, sevhost execs the chosen binary with the vector; /bin/echo shows it.
    func testLaunchExecsTheChosenBinary() throws {
        let result = try Subprocess.sevhost([
            "launch", templates.appendingPathComponent("snp.yaml").path,
            "--cbitpos", "47", "--reduced-phys-bits", "5", "--qemu", "/bin/echo",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("-name guest=snp-guest -machine q35,"), result.stdout)
        XCTAssertTrue(result.stdout.contains(" sev-snp-guest,id=sev0,cbitpos=47,reduced-phys-bits=5,policy=0x30000,"))
    }

    func testPrintLibvirtUsesTheTemplates() throws {
        let result = try Subprocess.sevhost([
            "launch", templates.appendingPathComponent("sev-es.yaml").path, "--print", "libvirt",
            "--templates", templates.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("<domain type='kvm'>\n  <name>sev-es-guest</name>\n"))
        XCTAssertTrue(result.stdout.contains("  <launchSecurity type='sev' kernelHashes='yes'>\n    <policy>0x0005</policy>\n"))

        // Without --templates the binary finds the checkout's templates/ next to .build/.
        let found = try Subprocess.sevhost(
            ["launch", templates.appendingPathComponent("sev-es.yaml").path, "--print", "libvirt"],
            environment: ["SEVHOST_TEMPLATES": ""])
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertEqual(found.stdout, result.stdout)
    }

    /// The argv states the SEV VM type to the QEMU named by --qemu when its release has
    /// `legacy-vm-type` (asked with --version: sevhost-sim answers as the QEMU it fronts), leaves it out for QEMU
    /// 7.2, which only creates the legacy type, and refuses init2 for it.
    func testVMTypeIsStatedForTheQEMUThatRunsIt() throws {
        let spec = templates.appendingPathComponent("sev-es.yaml").path
        let host = ["--cbitpos", "51", "--reduced-phys-bits", "1"]
        let simulator = Peers.productsDirectory.appendingPathComponent("sevhost-sim").path
        let sim = try Subprocess.sevhost(["launch", spec, "--print", "qemu", "--qemu", simulator] + host)
        XCTAssertEqual(sim.status, 0, sim.stderr)
        XCTAssertTrue(sim.stdout.contains("-object sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x5,kernel-hashes=on,legacy-vm-type=on \\\n"), sim.stdout)

        let qemu72 = try Peers.qemu72().path
        let old = try Subprocess.sevhost(["launch", spec, "--print", "qemu", "--qemu", qemu72] + host)
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertTrue(old.stdout.contains("-object sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x5,kernel-hashes=on \\\n"), old.stdout)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vm-type-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let init2 = directory.appendingPathComponent("init2.yaml").path
        let text = try String(contentsOfFile: spec, encoding: .utf8) + "  vm-type: init2\n"
        try text.write(toFile: init2, atomically: true, encoding: .utf8)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        let refused = try Subprocess.sevhost(["launch", init2, "--print", "qemu", "--qemu", qemu72] + host)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("sevhost: \(init2):\(line): confidential.vm-type: vm-type init2 needs QEMU 9.1 or later (sev-guest's legacy-vm-type=off); QEMU 7.2.22 always creates the legacy VM type\n"), refused.stderr)
        XCTAssertEqual(refused.stdout, "")
        let stated = try Subprocess.sevhost(["launch", init2, "--print", "qemu", "--qemu", simulator] + host)
        XCTAssertTrue(stated.stdout.contains(",legacy-vm-type=off \\\n"), stated.stdout)
        let viaLibvirt = try Subprocess.sevhost(["launch", init2, "--print", "libvirt"])
        XCTAssertEqual(viaLibvirt.status, 1)
        XCTAssertTrue(viaLibvirt.stderr.hasSuffix("sevhost: \(init2):\(line): confidential.vm-type: init2 cannot be had through libvirt, which sets no legacy-vm-type on QEMU's sev-guest: QEMU then creates the legacy VM type; use vm-type legacy, or --print qemu\n"), viaLibvirt.stderr)

        let unknown = try Subprocess.sevhost(["launch", spec, "--print", "qemu", "--qemu", directory.appendingPathComponent("no-qemu").path] + host)
        XCTAssertEqual(unknown.status, 0, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("sevhost: warning: \(directory.path)/no-qemu: not found; stating legacy-vm-type, which needs QEMU 9.1 or later\n"), unknown.stderr)
        XCTAssertTrue(unknown.stdout.contains(",legacy-vm-type=on \\\n"), unknown.stdout)
    }

    /// Printing is for another host too: files the spec only names may be missing here
    /// (the firmware, the session files), each reported once, and the output is still
    /// printed; libvirt's, which would embed the session files, says they were left out.
    /// Launching needs them all.
    func testPrintingToleratesFilesThatAreNotHere() throws {
        let spec = templates.appendingPathComponent("sev.yaml").path
        for output in ["libvirt", "qemu", "json"] {
            let result = try Subprocess.sevhost(["launch", spec, "--print", output, "--cbitpos", "51", "--reduced-phys-bits", "1", "--qemu", "/bin/true"])
            XCTAssertEqual(result.status, 0, "\(output): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(
                "sevhost: warning: checks skipped: confidential.dh-cert-file: cannot read /var/lib/sevhost/sev-guest/godh.b64: "), result.stderr)
            XCTAssertTrue(result.stderr.contains(
                "sevhost: warning: checks skipped: confidential.session-file: cannot read /var/lib/sevhost/sev-guest/session.b64: "), result.stderr)
            if output == "libvirt" {
                XCTAssertTrue(result.stdout.contains("could not be read here, so the dhCert and session elements are left out"), result.stdout)
                XCTAssertFalse(result.stdout.contains("<dhCert>"))
            }
            if output == "qemu" {
                XCTAssertTrue(result.stdout.contains("dh-cert-file=/var/lib/sevhost/sev-guest/godh.b64,session-file=/var/lib/sevhost/sev-guest/session.b64"), result.stdout)
            }
        }
        let launch = try Subprocess.sevhost(["launch", spec, "--cbitpos", "51", "--reduced-phys-bits", "1", "--qemu", "/bin/echo"])
        XCTAssertEqual(launch.status, 1)
        XCTAssertEqual(launch.stdout, "")
    }

    func testPrintJSON() throws {
        let result = try Subprocess.sevhost(["launch", templates.appendingPathComponent("sev.json").path, "--print", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"policy\" : \"0x1\""), result.stdout)
    }

    var fixtures: URL { PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts") }

    /// Without flags the C-bit comes from the host's CPUID 0x8000001F (here a captured Genoa:
    /// EBX 0x4073, C-bit 51, one reduced bit).
    func testHostValuesComeFromTheProbe() throws {
        let result = try Subprocess.sevhost([
            "launch", templates.appendingPathComponent("snp.yaml").path, "--print", "qemu",
            "--host-root", fixtures.appendingPathComponent("genoa-snp").path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(
            "    -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,vcek-disabled=off \\\n"),
            result.stdout)
    }

    func testQEMUWithoutHostParametersFails() throws {
        let spec = templates.appendingPathComponent("snp.yaml").path
        let result = try Subprocess.sevhost([
            "launch", spec, "--print", "qemu", "--host-root", fixtures.appendingPathComponent("guest-vm").path,
        ])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(
            result.stderr,
            "sevhost: \(spec): the host's C-bit position and reduced-phys-bits are unknown: pass --cbitpos and --reduced-phys-bits (host probe: this CPU does not report SEV (CPUID 0x8000001F EAX bit 1 is clear); it is a virtual machine: ask the bare-metal host)\n")
    }

    /// Debian's 4 MiB OVMF has no SEV metadata: an SNP launch with it is refused before QEMU runs.
    func testFirmwareIsInspected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("snp4m.yaml")
        try Data("""
            name: g
            vcpus: 1
            memory: 1G
            firmware:
              path: /usr/share/OVMF/OVMF_CODE_4M.fd
              mode: bios
            confidential:
              type: sev-snp

            """.utf8).write(to: spec)
        guard FileManager.default.fileExists(atPath: "/usr/share/OVMF/OVMF_CODE_4M.fd") else {
            try Peers.missing("/usr/share/OVMF/OVMF_CODE_4M.fd")
        }
        let result = try Subprocess.sevhost(["launch", spec.path, "--print", "qemu", "--cbitpos", "51", "--reduced-phys-bits", "1"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderr,
            "sevhost: \(spec.path):5: firmware.path: /usr/share/OVMF/OVMF_CODE_4M.fd has no SEV metadata, which SEV-SNP needs\n")
    }

    func testBadSpecNamesFileFieldAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("bad.yaml")
        try Data("name: g\nvcpus: 1\nmemory: 1G\nfirmware:\n  path: /fw\nconfidential:\n  type: sev-snp\n  policy: smt,debugg\n".utf8)
            .write(to: spec)
        let result = try Subprocess.sevhost(["launch", spec.path, "--print", "json"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasSuffix(
            "sevhost: \(spec.path):8: confidential.policy: cannot read 'smt,debugg': unknown policy flag 'debugg' (expected a hex value or names from: smt, migrate-ma, debug, single-socket, cxl-allow, mem-aes-256-xts, rapl-dis, ciphertext-hiding, page-swap-disable, abi=MAJOR.MINOR)\n"),
            result.stderr)

        try Data("name: g\nvcpus: 1\nmemory: 1G\nfirmware:\n  path: /fw\n  mod: bios\n".utf8).write(to: spec)
        let unknown = try Subprocess.sevhost(["launch", spec.path, "--print", "json"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr, "sevhost: \(spec.path):6: firmware.mod: unknown key (expected one of: path, vars, mode)\n")
    }

    func testPolicyExplain() throws {
        let result = try Subprocess.sevhost(["policy", "explain", "--type", "sev", "nodbg,nosend,es"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            SEV guest policy 0xd
              bit 0 NODBG = 1: debugging of the guest is disallowed
              bit 1 NOKS = 0
              bit 2 ES = 1: SEV-ES is required (register state is encrypted)
              bit 3 NOSEND = 1: sending the guest to another platform is disallowed
              bit 4 DOMAIN = 0
              bit 5 SEV = 0
              bits 23:16 API_MAJOR = 0
              bits 31:24 API_MINOR = 0
              names: nodbg,es,nosend

            """)
    }

    func testPolicyBuild() throws {
        let snp = try Subprocess.sevhost(["policy", "build", "--type", "snp", "smt,single-socket"])
        XCTAssertEqual(snp.status, 0, snp.stderr)
        XCTAssertEqual(snp.stdout, "0x130000\n")
        let bad = try Subprocess.sevhost(["policy", "build", "--type", "snp", "smt,nodbg"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stdout, "")
        XCTAssertTrue(bad.stderr.hasPrefix("sevhost: unknown policy flag 'nodbg'"), bad.stderr)
    }
}
