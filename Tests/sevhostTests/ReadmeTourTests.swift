import Foundation
import SEVTestSupport
import XCTest

/// Walks the README's tour: every command of its `sh` blocks from "A tour" to the daemon, run
/// as written, in order, in one shell, from a directory that looks like a checkout
/// (`templates/`, `Tests/` linked to this one). The only help it gets is what the README itself
/// says is needed: the built programs on `PATH`, the input files it names that a fresh machine
/// lacks (each provided under the README's own name), and mirrors of AMD KDS and of AMD's CA
/// download given through the variables the README names (`SEVHOST_KDS_URL`,
/// `SEVHOST_AMD_CA_URL`). Each command's exit status is asserted; the ones that need SEV
/// hardware fail here, each with its own reason, which is asserted too.
final class ReadmeTourTests: XCTestCase {
    static let milanChip = "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6"

    /// What each command does on this project's machines (AMD EPYC guests without SEV).
    enum Outcome: Equatable {
        case succeeds
        /// Exits with `status`, its standard error containing `saying` when given.
        case fails(status: Int32, saying: String?)
    }

    static let noSEV = Outcome.fails(status: 1, saying: "this CPU does not report SEV (CPUID 0x8000001F EAX bit 1 is clear)")
    static let noFirmware = Outcome.fails(status: 1, saying: "unable to open /dev/sev: No such file or directory")
    /// `sevhost ok` exits 1 whenever a check fails, which every SEV check does here; it says
    /// why on standard output (the report).
    static let okFails = Outcome.fails(status: 1, saying: nil)

    /// Every command of the tour (trailing comments dropped), with its outcome here.
    static let expected: [(command: String, outcome: Outcome)] = [
        ("sevhost ok", okFails),
        ("sevhost ok snp --verbose", okFails),
        ("sevhost ok --json", okFails),
        ("sevhost capture host", .succeeds),
        ("sevhost ok --host-root host", okFails),
        ("sevhost show cbitpos", noSEV),
        ("sevhost show reduced-phys-bits", noSEV),
        ("sevhost show generation", .succeeds),
        ("sevhost show version", noFirmware),
        ("sevhost generate owner.cert owner.key", .succeeds),
        ("sevhost provision owner.cert owner.key", noFirmware),
        ("sevhost export platform.cert", noFirmware),
        ("sevhost rotate --pek", noFirmware),
        ("sevhost snp config set 3 0 8 115", noFirmware),
        ("sevhost snp certs export snp-certs", noFirmware),
        ("sevhost launch templates/snp.yaml --print qemu",
         .fails(status: 1, saying: "templates/snp.yaml: the host's C-bit position and reduced-phys-bits are unknown: pass --cbitpos and --reduced-phys-bits")),
        ("sevhost launch templates/snp.yaml --print qemu --host-root Tests/Fixtures/hosts/genoa-snp", .succeeds),
        ("sevhost launch templates/sev.yaml --print libvirt", .succeeds),
        ("sevhost launch templates/snp-idblock.yaml --print json", .succeeds),
        ("sevhost launch templates/sev-es.yaml",
         .fails(status: 1, saying: "templates/sev-es.yaml:8: firmware.path: cannot read /usr/share/sevhost/OVMF.amdsev.fd: No such file or directory")),
        ("sevhost policy explain 0x30000 --type snp", .succeeds),
        ("sevhost policy build nodbg,nosend,es --type sev", .succeeds),
        ("sevhost launch templates/snp.yaml --print libvirt --host-root Tests/Fixtures/hosts/milan-snp > snp.xml", .succeeds),
        ("sevhost check snp.xml --host-root Tests/Fixtures/hosts/milan-snp", .succeeds),
        ("sevhost check --host-root Tests/Fixtures/hosts/milan-snp --qemu-args -- -machine q35,confidential-guest-support=s -object sev-snp-guest,id=s,policy=0x70000 -drive if=pflash,file=/usr/share/OVMF/OVMF_CODE.fd",
         .fails(status: 1, saying: nil)),
        ("sevhost report show report.bin", .succeeds),
        ("sevhost verify certs certs", .succeeds),
        ("sevhost report verify report.bin --certs certs --min-tcb bl=3,tee=0,snp=8,ucode=115", .succeeds),
        ("sevhost fetch ca Milan --out kds", .succeeds),
        ("sevhost fetch vcek --report report.bin --certs certs --out kds", .succeeds),
        ("sevhost show vcek-url --report report.bin --certs certs", .succeeds),
        ("MEASUREMENT=$(sevhost digest --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf /usr/share/ovmf/OVMF.fd)", .succeeds),
        ("sevhost id-block --id-key id.pem --author-key author.pem --measurement \"$MEASUREMENT\" --policy 0x30000", .succeeds),
        ("sevhost key-digest id.pem", .succeeds),
        ("sevhost launch templates/snp-signed.yaml --print qemu --cbitpos 51 --reduced-phys-bits 1", .succeeds),
        ("sevhost verify --sev chain.cert", .succeeds),
        ("sevhost verify --sev chain.cert --ca ask_ark_rome.cert --oca oca.cert", .succeeds),
        ("sevhost verify --sev chain.cert --product rome", .succeeds),
        ("sevhost session chain.cert 0x1 --name vm --out owner", .succeeds),
        ("sevhost digest --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf /usr/share/OVMF/OVMF_CODE.fd", .succeeds),
        ("sevhost digest --mode seves --vcpus 4 --vcpu-type EPYC-Milan --vm-type legacy --ovmf /usr/share/OVMF/OVMF_CODE.fd", .succeeds),
        ("sevhost digest --mode sev --ovmf OVMF.amdsev.fd --kernel vmlinuz --initrd initrd.img --append \"console=ttyS0\"", .succeeds),
        ("sevhost digest --mode snp:ovmf-hash --ovmf /usr/share/ovmf/OVMF.fd > ovmf-hash.hex", .succeeds),
        ("sevhost digest --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf /usr/share/ovmf/OVMF.fd --snp-ovmf-hash \"$(cat ovmf-hash.hex)\"", .succeeds),
        ("sevhost digest --mode snp:svsm --vcpus 2 --vcpu-type EPYC-v4 --ovmf svsm_ovmf.fd --svsm svsm.bin --vars-size 540672", .succeeds),
        ("sevhost vmsa build vmsa1.bin --cpu 1 --family 25 --model 1 --stepping 1 --firmware /usr/share/ovmf/OVMF.fd", .succeeds),
        ("sevhost vmsa show vmsa1.bin --extended", .succeeds),
        ("export SEVHOST_SIM_STATE=$PWD/sim-state", .succeeds),
        ("sevhost-sim --print-pdh pdh.cert", .succeeds),
        ("sevhost session pdh.cert 0x5 --name guest", .succeeds),
        ("cat > guest.yaml <<'SPEC'", .succeeds),
        ("sevhost launch guest.yaml --qemu sevhost-sim --cbitpos 51 --reduced-phys-bits 1 &", .succeeds),
        ("until [ -S guest.qmp ]; do sleep 0.1; done", .succeeds),
        ("sevhost qmp guest.qmp status", .succeeds),
        ("echo \"the disk passphrase\" > disk.key", .succeeds),
        ("sevhost attest --qmp guest.qmp --tek guest_tek.bin --tik guest_tik.bin --expect guest.yaml --secret luks-key:disk.key --gpa 0x80c000", .succeeds),
        ("sevhost qmp guest.qmp quit", .succeeds),
        ("cat > snp-guest.yaml <<'SPEC'", .succeeds),
        ("sevhost launch snp-guest.yaml --qemu sevhost-sim --cbitpos 51 --reduced-phys-bits 1 &", .succeeds),
        ("until [ -S snp-guest.qmp ]; do sleep 0.1; done", .succeeds),
        ("NONCE=$(openssl rand -hex 64)", .succeeds),
        ("sevhost-sim --guest-report snp-guest.qmp --report-data \"$NONCE\" --out snp-report.bin --certs snp-certs", .succeeds),
        ("sevhost report verify snp-report.bin --certs snp-certs --test-root snp-certs/ark.pem --expect snp-guest.yaml --report-data \"$NONCE\"", .succeeds),
        ("sevhost qmp snp-guest.qmp quit", .succeeds),
        ("export SEVHOST_DAEMON=$PWD/sevhostd.sock", .succeeds),
        ("sevhostd --socket \"$SEVHOST_DAEMON\" --state-dir state --run-dir run --qemu sevhost-sim --cbitpos 51 --reduced-phys-bits 1 &", .succeeds),
        ("DAEMON=$!", .succeeds),
        ("until [ -S \"$SEVHOST_DAEMON\" ]; do sleep 0.1; done", .succeeds),
        ("sevhost vm create guest.yaml", .succeeds),
        ("sevhost vm start guest", .succeeds),
        ("sevhost vm measurement guest --out bundle.json", .succeeds),
        ("sevhost measurement verify --bundle bundle.json --expect guest.yaml --tik guest_tik.bin", .succeeds),
        ("sevhost secret build --tek guest_tek.bin --tik guest_tik.bin --measurement bundle.json --secret luks-key:disk.key > answer.txt", .succeeds),
        ("sevhost vm inject guest answer.txt --bundle bundle.json --gpa 0x80c000", .succeeds),
        ("sevhost vm list", .succeeds),
        ("sevhost vm events guest", .succeeds),
        ("sevhost vm logs guest", .succeeds),
        ("sevhost vm stop guest", .succeeds),
        ("sevhost vm destroy guest", .succeeds),
        ("kill $DAEMON", .succeeds),
    ]

    func testTheTourRunsAsWritten() throws {
        let readme = try String(contentsOf: PackageRoot.url.appendingPathComponent("README.md"), encoding: .utf8)
        let commands = try Self.tourCommands(readme)
        XCTAssertEqual(commands.map(Self.withoutComment), Self.expected.map(\.command),
                       "the README's tour and this test's list of its commands differ")
        guard commands.count == Self.expected.count else { return }

        let work = try makeCheckout()
        defer { try? FileManager.default.removeItem(at: work) }
        let kds = try LocalKDSServer(routes: [
            "/vcek/v1/Milan/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan")),
            "/vcek/v1/Milan/\(Self.milanChip)?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115": .init(file: try TestData.url("virtee-sev/tests/certs_data/vcek_milan.der")),
        ])
        defer { kds.stop() }
        let amdCA = try LocalKDSServer(routes: ["/ask_ark_rome.cert": .init(file: work.appendingPathComponent("ask_ark_rome.cert"))])
        defer { amdCA.stop() }

        let results = try runTour(commands, in: work, environment: [
            "PATH": Peers.productsDirectory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "HOME": work.appendingPathComponent(".home").path,
            "SEVHOST_KDS_URL": kds.baseURL,
            "SEVHOST_AMD_CA_URL": amdCA.baseURL,
            "NO_COLOR": "1",
        ])
        for ((command, outcome), result) in zip(Self.expected, results) {
            switch outcome {
            case .succeeds:
                XCTAssertEqual(result.status, 0, "\(command): \(result.stderr)")
            case .fails(let status, let saying):
                XCTAssertEqual(result.status, status, "\(command): \(result.stderr)")
                if let saying { XCTAssertTrue(result.stderr.contains(saying), "\(command): \(result.stderr)") }
            }
        }
        // A few outputs that show the flows did what the README says.
        func output(_ command: String) -> String {
            results[Self.expected.firstIndex { $0.command.hasPrefix(command) } ?? 0].stdout
        }
        XCTAssertTrue(output("sevhost ok --host-root host").contains("virtual machine"), output("sevhost ok --host-root host"))
        XCTAssertTrue(output("sevhost attest --qmp").hasSuffix("guest continued\n"), output("sevhost attest --qmp"))
        XCTAssertTrue(output("sevhost measurement verify --bundle").hasPrefix("measurement matches: "))
        XCTAssertTrue(output("sevhost report verify snp-report.bin").hasSuffix(": VALID (25 checks passed)\n"), output("sevhost report verify snp-report.bin"))
        XCTAssertTrue(output("sevhost launch templates/sev.yaml --print libvirt").contains("<launchSecurity type='sev'>"))
        XCTAssertTrue(output("sevhost vm events guest").contains("secret injected"), output("sevhost vm events guest"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("owner").path).sorted(),
                       ["vm_godh.b64", "vm_session.b64", "vm_tek.bin", "vm_tik.bin"])
    }

    // MARK: - the README's commands

    /// The commands of every `sh` block from "## A tour" up to "## Layout": continuation lines
    /// joined, a here-document kept with its command, comment lines dropped.
    static func tourCommands(_ readme: String) throws -> [String] {
        guard let start = readme.range(of: "## A tour"), let end = readme.range(of: "## Layout") else {
            throw XCTSkip("README.md has no tour between '## A tour' and '## Layout'")
        }
        var commands: [String] = []
        var lines = readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        var inBlock = false
        while let line = lines.popFirst() {
            if line.hasPrefix("```") { inBlock = line == "```sh"; continue }
            guard inBlock else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var command = line
            if let marker = line.range(of: "<<'"), let close = line[marker.upperBound...].firstIndex(of: "'") {
                let terminator = String(line[marker.upperBound..<close])
                while let body = lines.popFirst() {
                    command += "\n" + body
                    if body == terminator { break }
                }
            }
            while command.hasSuffix("\\"), let next = lines.popFirst() {
                command = String(command.dropLast()) + next.trimmingCharacters(in: .whitespaces)
            }
            commands.append(command)
        }
        return commands
    }

    /// The first line of a command without its trailing `# comment`.
    static func withoutComment(_ command: String) -> String {
        let first = command.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? command
        guard let hash = first.range(of: #"\s+# "#, options: .regularExpression) else { return first }
        return String(first[..<hash.lowerBound])
    }

    // MARK: - the checkout and its missing files

    /// A directory that looks like a checkout, holding the files the tour names that a fresh
    /// machine does not have, under the README's names.
    private func makeCheckout() throws -> URL {
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sevhost-tour-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        for name in ["templates", "Tests"] {
            try fm.createSymbolicLink(at: work.appendingPathComponent(name), withDestinationURL: PackageRoot.url.appendingPathComponent(name))
        }
        func copy(_ testdata: String, to name: String) throws {
            try fm.copyItem(at: try TestData.url(testdata), to: work.appendingPathComponent(name))
        }
        func write(_ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: work.appendingPathComponent(name))
        }
        // SNP: a Milan report (version 2), its VCEK and chain, ID and author keys.
        try copy("virtee-sev/tests/certs_data/report_milan.hex", to: "report.bin")
        try fm.createDirectory(at: work.appendingPathComponent("certs"), withIntermediateDirectories: true)
        try copy("virtee-sev/tests/certs_data/cert_chain_milan", to: "certs/cert_chain")
        try copy("virtee-sev/tests/certs_data/vcek_milan.der", to: "certs/vcek.der")
        try copy("virtee-sev-snp-measure/tests/keyfile/id_key_test.pem", to: "id.pem")
        try copy("virtee-sev-snp-measure/tests/keyfile/author_key_test.pem", to: "author.pem")
        // Legacy SEV: a Rome platform's chain (PDH, PEK, OCA, CEK), its OCA, AMD's Rome CA.
        try write("chain.cert", try ["pdh", "pek", "oca", "cek"].flatMap { try TestData.bytes("virtee-sev/tests/rome/\($0).cert") })
        try copy("virtee-sev/tests/rome/oca.cert", to: "oca.cert")
        try write("ask_ark_rome.cert", try ["ask", "ark"].flatMap { try TestData.bytes("virtee-sev/src/certs/sev/builtin/rome/\($0).cert") })
        // Digests: an AmdSev OVMF (the 4 KiB footer of the real one, at the end of 2 MiB), a
        // kernel and an initrd, Coconut-SVSM's firmware and image.
        let suffix = try TestData.bytes("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
        try write("OVMF.amdsev.fd", [UInt8](repeating: 0, count: 2 << 20 - suffix.count) + suffix)
        try write("vmlinuz", (0..<100_000).map { UInt8($0 * 31 % 251) })
        try write("initrd.img", (0..<50_000).map { UInt8($0 * 17 % 241) })
        try copy("virtee-sev-snp-measure/tests/fixtures/svsm_ovmf.fd", to: "svsm_ovmf.fd")
        try copy("virtee-sev-snp-measure/tests/fixtures/svsm.bin", to: "svsm.bin")
        return work
    }

    // MARK: - running it

    /// Runs the commands in one bash, in order (so variables, exports and background jobs carry
    /// over as for a reader typing them), each one's status and output kept apart. The shell
    /// ends every background job it started when it exits.
    struct Step {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private func runTour(_ commands: [String], in work: URL, environment: [String: String]) throws -> [Step] {
        let results = work.appendingPathComponent(".results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        var script = """
            trap 'kill $(jobs -p) 2>/dev/null' EXIT
            trap 'exit 1' TERM
            step() { eval "$2" >"\(results.path)/$1.out" 2>"\(results.path)/$1.err" </dev/null; echo $? >"\(results.path)/$1.rc"; }

            """
        for (index, command) in commands.enumerated() {
            script += "step \(index) '" + command.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
        }
        let scriptFile = work.appendingPathComponent(".tour.sh")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [scriptFile.path]
        process.currentDirectoryURL = work
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["SEVHOST_DAEMON"] = nil
        env["SEVHOST_SIM_STATE"] = nil
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // The shell ends its background jobs on exit; the daemon's QEMU runs in a session
            // of its own, which `vm stop` ends unless a step failed.
            if let text = try? String(contentsOf: work.appendingPathComponent("state/vms/guest/qemu.pid"), encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
        }
        let deadline = Date().addingTimeInterval(600)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("the tour did not finish in 10 minutes")
            return []
        }

        return commands.indices.map { index in
            func read(_ ext: String) -> Data { (try? Data(contentsOf: results.appendingPathComponent("\(index).\(ext)"))) ?? Data() }
            let status = Int32(String(decoding: read("rc"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            return Step(status: status, stdout: String(decoding: read("out"), as: UTF8.self),
                        stderr: String(decoding: read("err"), as: UTF8.self))
        }
    }
}
