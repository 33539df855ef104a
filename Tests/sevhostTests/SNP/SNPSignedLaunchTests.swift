import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// `sevhost launch` for an SEV-SNP spec naming an ID key: the launch digest it computes from the
/// spec is sev-snp-measure's, the ID block it signs is snp-create-id-block's byte for byte (the
/// same keys, digest and fields), each tool's ID auth verifies under the other's reading, and the
/// argv and domain it writes are accepted by QEMU 10 and libvirt 11.3.
final class SNPSignedLaunchTests: XCTestCase {
    static let keys = "virtee-sev-snp-measure/tests/keyfile"
    static let debianOVMF = "/usr/share/ovmf/OVMF.fd"

    private var temp: URL!

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("snp-signed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    // MARK: - Helpers

    static func key(_ name: String) throws -> String { try TestData.url("\(keys)/\(name)").path }

    private func firmware(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { try Peers.missing(path) }
        return path
    }

    /// A 2 MiB flash image ending in the 4 KiB footer of an OvmfPkg/AmdSev build (SNP kernel
    /// hashes): Debian packages no such OVMF, and QEMU's loader takes only whole 64 KiB units.
    private func amdSevFirmware() throws -> String {
        let suffix = try TestData.bytes("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
        let url = temp.appendingPathComponent("OVMF.amdsev.fd")
        try Data([UInt8](repeating: 0, count: 2 << 20 - suffix.count) + suffix).write(to: url)
        return url.path
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = temp.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// A spec for `firmware` with `confidential` lines appended (indented by the caller).
    private func spec(
        firmware: String, vcpus: Int = 2, cpu: String = "EPYC-Milan", kernel: String = "", confidential: String,
        name: String = "vm.yaml"
    ) throws -> String {
        try write(name, """
            name: snp-signed
            vcpus: \(vcpus)
            cpu: \(cpu)
            memory: 1G
            firmware:
              path: \(firmware)
            \(kernel)
            confidential:
              type: sev-snp
            \(confidential)
            """)
    }

    private func signingLines(policy: String = "0x30000", extra: String = "") throws -> String {
        """
          policy: "\(policy)"
          id-key: \(try Self.key("id_key_test.pem"))
          author-key: \(try Self.key("author_key_test.pem"))
        \(extra)
        """
    }

    /// The argv `sevhost launch --print qemu` writes.
    private func argv(_ spec: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let r = try Subprocess.sevhost(["launch", spec, "--print", "qemu", "--cbitpos", "51", "--reduced-phys-bits", "1"])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return PrintedQEMUCommand(r.stdout).arguments
    }

    /// The `sev-snp-guest` properties of an argv.
    private func guestObject(_ argv: [String]) throws -> [String: String] {
        try XCTUnwrap(PrintedQEMUCommand(arguments: argv).objectProperties("sev-snp-guest"))
    }

    private func printedJSON(_ spec: String) throws -> [String: Any] {
        let r = try Subprocess.sevhost(["launch", spec, "--print", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    private func measure(_ arguments: [String]) throws -> String {
        let r = try Subprocess.run(try Peers.venvTool("sev-snp-measure"), arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `snp-create-id-block` for a hex digest: its block and auth, decoded from base64.
    private func peerBlock(digestHex: String, idKey: String, authorKey: String) throws -> (block: [UInt8], auth: [UInt8]) {
        let b64 = Data(try XCTUnwrap(Hex.decode(digestHex))).base64EncodedString()
        let r = try Subprocess.run(try Peers.venvTool("snp-create-id-block"), ["--measurement", b64, "--idkey", idKey, "--authorkey", authorKey])
        XCTAssertEqual(r.status, 0, r.stderr)
        let first = try XCTUnwrap(r.stdout.split(separator: "\n").first)
        let parts = first.split(separator: ",").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        XCTAssertEqual(parts.map { $0[0] }, ["id-block", "id-auth"])
        return ([UInt8](try XCTUnwrap(Data(base64Encoded: parts[0][1]))), [UInt8](try XCTUnwrap(Data(base64Encoded: parts[1][1]))))
    }

    private func peerScript(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.run(try Peers.venvTool("python"), [PackageRoot.url.appendingPathComponent("Tests/Fixtures/peer_id_block.py").path] + arguments)
    }

    /// The same public keys and algorithms, and each tool's signatures valid under the other's
    /// reading: sevhost's SEVKit decoding of the peer's auth, the peer's structures on sevhost's.
    private func assertInterchangeable(
        sevhost: (block: [UInt8], auth: [UInt8]), peer: (block: [UInt8], auth: [UInt8]),
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(sevhost.block, peer.block, "ID block bytes", file: file, line: line)
        XCTAssertEqual(sevhost.auth.count, 4096, file: file, line: line)
        XCTAssertEqual(Array(sevhost.auth[0..<8]), Array(peer.auth[0..<8]), "algorithms", file: file, line: line)
        XCTAssertEqual(Array(sevhost.auth[0x240..<0x644]), Array(peer.auth[0x240..<0x644]), "ID key", file: file, line: line)
        XCTAssertEqual(Array(sevhost.auth[0x880..<0xC84]), Array(peer.auth[0x880..<0xC84]), "author key", file: file, line: line)
        XCTAssertNotEqual(Array(sevhost.auth[0x40..<0x240]), Array(peer.auth[0x40..<0x240]), "ECDSA is randomized", file: file, line: line)

        let peerAuth = try IDAuthInfo(bytes: peer.auth)
        let peerBlock = try IDBlock(bytes: peer.block)
        XCTAssertTrue(peerAuth.signsBlock(peerBlock), file: file, line: line)
        XCTAssertTrue(peerAuth.authorSignsIDKey, file: file, line: line)

        let check = try peerScript(["verify", Data(sevhost.block).base64EncodedString(), Data(sevhost.auth).base64EncodedString()])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr, file: file, line: line)
        XCTAssertTrue(check.stdout.hasSuffix("id-block signature: valid\nid-key signature: valid\nOK\n"), check.stdout, file: file, line: line)
    }

    private func signed(_ argv: [String]) throws -> (block: [UInt8], auth: [UInt8]) {
        let object = try guestObject(argv)
        XCTAssertEqual(object["author-key-enabled"], "on")
        return ([UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(object["id-block"])))),
                [UInt8](try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(object["id-auth"])))))
    }

    // MARK: - Peers

    /// Debian's OVMF, the defaults snp-create-id-block is limited to (family and image id zero,
    /// SVN 0, policy 0x30000), for several vCPU counts and models.
    func testSignedBlockIsSnpCreateIDBlocksAndTheDigestSevSnpMeasures() throws {
        let ovmf = try firmware(Self.debianOVMF)
        for (vcpus, cpu) in [(1, "EPYC-v4"), (2, "EPYC-Milan"), (4, "EPYC-Genoa")] {
            let path = try spec(firmware: ovmf, vcpus: vcpus, cpu: cpu, confidential: try signingLines())
            let expected = try measure(["--mode", "snp", "--vcpus", "\(vcpus)", "--vcpu-type", cpu, "--ovmf", ovmf])
            let confidential = try XCTUnwrap(try printedJSON(path)["confidential"] as? [String: Any])
            XCTAssertEqual(confidential["launch-digest"] as? String, expected, "\(vcpus) x \(cpu)")
            XCTAssertEqual(confidential["author-key-enabled"] as? Bool, true)
            let mine = try signed(try argv(path))
            XCTAssertEqual(Hex.encode(mine.block[0..<48]), expected)
            let peer = try peerBlock(digestHex: expected, idKey: try Self.key("id_key_test.pem"), authorKey: try Self.key("author_key_test.pem"))
            try assertInterchangeable(sevhost: mine, peer: peer)
        }
    }

    /// Family id, image id, guest SVN and policy other than the defaults: compared with a block
    /// built through sev-snp-measure's own IdBlock/IdAuth structures.
    func testNonDefaultFieldsMatchThePeersLayout() throws {
        let ovmf = try firmware(Self.debianOVMF)
        let family = "00112233445566778899aabbccddeeff", image = "0000000000000000000000000000ab01"
        let path = try spec(firmware: ovmf, confidential: try signingLines(policy: "smt,single-socket", extra: """
              family-id: "\(family)"
              image-id: "\(image)"
              guest-svn: 7
            """))
        let json = try XCTUnwrap(try printedJSON(path)["confidential"] as? [String: Any])
        XCTAssertEqual(json["family-id"] as? String, family)
        XCTAssertEqual(json["image-id"] as? String, image)
        XCTAssertEqual(json["guest-svn"] as? Int, 7)
        XCTAssertEqual(json["policy"] as? String, "0x130000")
        let digest = try XCTUnwrap(json["launch-digest"] as? String)
        XCTAssertEqual(digest, try measure(["--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--ovmf", ovmf]))

        let mine = try signed(try argv(path))
        let built = try peerScript([
            "build", Data(try XCTUnwrap(Hex.decode(digest))).base64EncodedString(), family, image, "7", "0x130000",
            try Self.key("id_key_test.pem"), try Self.key("author_key_test.pem"),
        ])
        XCTAssertEqual(built.status, 0, built.stderr)
        let lines = built.stdout.split(separator: "\n").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        let peer = ([UInt8](try XCTUnwrap(Data(base64Encoded: lines[0][1]))), [UInt8](try XCTUnwrap(Data(base64Encoded: lines[1][1]))))
        try assertInterchangeable(sevhost: mine, peer: peer)
        let decoded = try IDBlock(bytes: mine.block)
        XCTAssertEqual(Hex.encode(decoded.familyID), family)
        XCTAssertEqual(Hex.encode(decoded.imageID), image)
        XCTAssertEqual(decoded.guestSVN, 7)
        XCTAssertEqual(decoded.policy, 0x130000)
    }

    /// The peer check is not vacuous: a block changed after signing, or an auth whose ID key did
    /// not sign the block, is refused by the peer's reading.
    func testThePeersReadingRefusesAForeignSignature() throws {
        let ovmf = try firmware(Self.debianOVMF)
        var mine = try signed(try argv(try spec(firmware: ovmf, confidential: try signingLines())))
        mine.block[60] ^= 1
        let r = try peerScript(["verify", Data(mine.block).base64EncodedString(), Data(mine.auth).base64EncodedString()])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.hasSuffix("INVALID\n"), r.stdout)
    }

    /// Measured direct boot (AmdSev footer, kernel, initrd and command line): the digest inside the
    /// block is sev-snp-measure's with the same files, and the block is snp-create-id-block's.
    func testKernelHashesDigestAndBlock() throws {
        let ovmf = try amdSevFirmware()
        let kernel = try write("vmlinuz", String(repeating: "kernel image ", count: 4096))
        let initrd = try write("initrd.img", String(repeating: "initrd ", count: 8192))
        let append = "console=ttyS0 root=/dev/vda1 ro"
        let path = try spec(firmware: ovmf, vcpus: 4, cpu: "EPYC-Genoa", kernel: """
            kernel:
              path: \(kernel)
              initrd: \(initrd)
              append: "\(append)"
            """, confidential: try signingLines(extra: "  kernel-hashes: true"))
        let expected = try measure(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--ovmf", ovmf,
                                    "--kernel", kernel, "--initrd", initrd, "--append", append])
        XCTAssertEqual((try printedJSON(path)["confidential"] as? [String: Any])?["launch-digest"] as? String, expected)
        let arguments = try argv(path)
        XCTAssertEqual(try guestObject(arguments)["kernel-hashes"], "on")
        let mine = try signed(arguments)
        try assertInterchangeable(
            sevhost: mine, peer: try peerBlock(digestHex: expected, idKey: try Self.key("id_key_test.pem"), authorKey: try Self.key("author_key_test.pem")))
        // Another command line is another digest: the block signed above would not match it.
        let other = try measure(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--ovmf", ovmf,
                                 "--kernel", kernel, "--initrd", initrd, "--append", append + " single"])
        XCTAssertNotEqual(other, expected)
    }

    // MARK: - Inline blocks and pins

    /// An inline ID block signed for another launch is refused before anything is printed, with
    /// both digests named; so is a pinned launch-digest that is not the spec's.
    func testInlineBlockOrPinForAnotherDigestIsRefused() throws {
        let ovmf = try firmware(Self.debianOVMF)
        let fourVCPUs = try measure(["--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Milan", "--ovmf", ovmf])
        let twoVCPUs = try measure(["--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--ovmf", ovmf])
        let peer = try peerBlock(digestHex: fourVCPUs, idKey: try Self.key("id_key_test.pem"), authorKey: try Self.key("author_key_test.pem"))
        let inline = """
              policy: "0x30000"
              id-block: \(Data(peer.block).base64EncodedString())
              id-auth: \(Data(peer.auth).base64EncodedString())
              author-key-enabled: true
            """
        let refused = try spec(firmware: ovmf, vcpus: 2, confidential: inline)
        for mode in ["qemu", "json", "libvirt"] {
            let r = try Subprocess.sevhost(["launch", refused, "--print", mode, "--cbitpos", "51", "--reduced-phys-bits", "1"])
            XCTAssertEqual(r.status, 1, mode)
            XCTAssertEqual(r.stdout, "", mode)
            XCTAssertEqual(r.stderr, "sevhost: \(refused):11: confidential.id-block: its launch digest \(fourVCPUs) differs from \(twoVCPUs), the digest of this spec's firmware, kernel hashes and vCPUs; the firmware rejects the launch (BAD_MEASUREMENT)\n", mode)
        }
        // The same block with the spec it was made for is passed through unchanged.
        let accepted = try spec(firmware: ovmf, vcpus: 4, confidential: inline, name: "four.yaml")
        let object = try guestObject(try argv(accepted))
        XCTAssertEqual(object["id-block"], Data(peer.block).base64EncodedString())
        XCTAssertEqual(object["id-auth"], Data(peer.auth).base64EncodedString())

        let pinned = try spec(firmware: ovmf, vcpus: 2, confidential: "  launch-digest: \(fourVCPUs)", name: "pinned.yaml")
        let r = try Subprocess.sevhost(["launch", pinned, "--print", "qemu", "--cbitpos", "51", "--reduced-phys-bits", "1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "sevhost: \(pinned):10: confidential.launch-digest: \(fourVCPUs) is not the digest of this spec's firmware, kernel hashes and vCPUs, which is \(twoVCPUs)\n")
        // `--print json` writes the digest back, so its output pins itself.
        let json = try spec(firmware: ovmf, vcpus: 2, confidential: "  policy: smt", name: "plain.yaml")
        let printed = try Subprocess.sevhost(["launch", json, "--print", "json"])
        XCTAssertTrue(printed.stdout.contains("\"launch-digest\" : \"\(twoVCPUs)\""), printed.stdout)
        let roundTrip = try write("printed.json", printed.stdout)
        XCTAssertEqual(try Subprocess.sevhost(["launch", roundTrip, "--print", "json"]).stdout, printed.stdout)
    }

    /// Refusals of the signing fields, each one line naming the field.
    func testSigningFieldErrors() throws {
        let ovmf = try firmware(Self.debianOVMF)
        let id = try Self.key("id_key_test.pem")
        let cases: [(String, String, String)] = [
            ("  id-key: \(id)\n  id-block: \(Data(repeating: 0, count: 96).base64EncodedString())\n  id-auth: \(Data(repeating: 0, count: 4096).base64EncodedString())",
             ":10: confidential.id-key: sevhost builds and signs the ID block from id-key; drop the inline id-block and id-auth, or id-key", "qemu"),
            ("  author-key: \(id)", ":10: confidential.author-key: belongs to the ID block sevhost signs, which needs id-key", "qemu"),
            ("  id-key: \(id)\n  family-id: abcd", ":11: confidential.family-id: expected 16 bytes as 32 hex digits", "qemu"),
            ("  id-key: \(id)\n  author-key-enabled: true", ":11: confidential.author-key-enabled: is true but no author-key is given", "qemu"),
            ("  id-key: \(temp.path)/missing.pem", ":10: confidential.id-key: cannot read \(temp.path)/missing.pem: No such file or directory", "qemu"),
            ("  id-key: \(ovmf)", ":10: confidential.id-key: \(ovmf): 2097152 bytes is not a PEM key", "qemu"),
            ("  id-key: \(try write("not-a-key.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))",
             ":10: confidential.id-key: \(temp.path)/not-a-key.pem: not a P-384 private key in PEM (SEC1 'EC PRIVATE KEY' or PKCS#8 'PRIVATE KEY')", "qemu"),
        ]
        for (index, (lines, message, mode)) in cases.enumerated() {
            let path = try spec(firmware: ovmf, confidential: lines, name: "case\(index).yaml")
            let r = try Subprocess.sevhost(["launch", path, "--print", mode, "--cbitpos", "51", "--reduced-phys-bits", "1"])
            XCTAssertEqual(r.status, 1, lines)
            XCTAssertEqual(r.stdout, "", lines)
            XCTAssertEqual(r.stderr, "sevhost: \(path)\(message)\n", lines)
        }
        let host = try spec(firmware: ovmf, cpu: "host", confidential: "  id-key: \(id)", name: "host.yaml")
        let r = try Subprocess.sevhost(["launch", host, "--print", "qemu", "--cbitpos", "51", "--reduced-phys-bits", "1"])
        XCTAssertEqual(r.stderr, "sevhost: \(host):3: cpu: 'host' has no known CPUID signature, which every SNP VMSA measures, so the launch digest cannot be computed (use a named model such as EPYC-v4 or EPYC-Milan)\n")
    }

    // MARK: - QEMU 10 and libvirt 11.3

    /// QEMU 10 parses every `sev-snp-guest` property of the signed argv (id-block, id-auth,
    /// author-key-enabled, host-data, kernel-hashes) and stops only where KVM is needed.
    func testQEMU10AcceptsTheSignedArgv() throws {
        let qemu = try Peers.qemu10()
        let kernel = try write("vmlinuz", "k")
        let path = try spec(firmware: try amdSevFirmware(), kernel: """
            kernel:
              path: \(kernel)
              append: "console=ttyS0"
            """, confidential: try signingLines(extra: """
              kernel-hashes: true
              host-data: c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=
              guest-svn: 3
            """))
        // Without an author key: author-key-enabled=off, on Debian's OVMF.
        let plain = try spec(firmware: try firmware(Self.debianOVMF), confidential: """
              policy: smt,single-socket
              id-key: \(try Self.key("id_key_test.pem"))
            """, name: "plain.yaml")
        XCTAssertEqual(try guestObject(try argv(plain))["author-key-enabled"], "off")
        func underTCG(_ arguments: [String]) throws -> [String] {
            var arguments = arguments
            let accel = try XCTUnwrap(arguments.firstIndex(of: "-accel"))
            arguments[accel + 1] = "tcg"
            return ["-nodefaults"] + arguments
        }
        for spec in [path, plain] {
            let result = try Subprocess.run(qemu, try underTCG(try argv(spec)))
            XCTAssertNotEqual(result.status, 0)
            XCTAssertEqual(result.stderr.split(separator: "\n").filter { !$0.contains(": warning: ") },
                           ["qemu-system-x86_64: cannot set up private guest memory for sev-snp-guest: KVM required"], spec)
        }
        var arguments = try underTCG(try argv(path))
        XCTAssertEqual(Set(try guestObject(arguments).keys), [
            "id", "cbitpos", "reduced-phys-bits", "policy", "kernel-hashes", "id-block", "id-auth", "author-key-enabled", "host-data",
        ])

        // Not vacuous: a truncated id-auth is QEMU's error, not the KVM stage.
        let object = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-snp-guest,") })
        let idBlock = try XCTUnwrap(try guestObject(arguments)["id-block"])
        arguments[object] = arguments[object].replacingOccurrences(of: "id-block=\(idBlock)", with: "id-block=\(idBlock.dropLast(8))")
        let broken = try Subprocess.run(qemu, arguments)
        XCTAssertTrue(broken.stderr.contains("parameter length of 90 not equal to 96"), broken.stderr)
    }

    /// The sample `templates/snp-signed.yaml` as shipped (family and image id, guest SVN, host
    /// data, a qcow2 disk), with only its files pointed at scratch ones: QEMU 10 takes its signed
    /// argv up to the KVM stage too.
    func testQEMU10AcceptsTheSignedTemplate() throws {
        let qemu = try Peers.qemu10()
        _ = try firmware(Self.debianOVMF)
        let disk = temp.appendingPathComponent("disk.qcow2").path
        let image = try Subprocess.run(try Peers.executable("/usr/bin/qemu-img"), ["create", "-q", "-f", "qcow2", disk, "1M"])
        XCTAssertEqual(image.status, 0, image.stderr)
        let template = try String(contentsOf: PackageRoot.url.appendingPathComponent("templates/snp-signed.yaml"), encoding: .utf8)
        var text = template
        for (old, new) in [
            ("/var/lib/sevhost/snp-signed/disk.qcow2", disk), ("/run/sevhost/snp-signed.qmp", temp.appendingPathComponent("qmp.sock").path),
            ("id-key: id.pem", "id-key: \(try Self.key("id_key_test.pem"))"),
            ("author-key: author.pem", "author-key: \(try Self.key("author_key_test.pem"))"),
        ] {
            XCTAssertTrue(text.contains(old), old)
            text = text.replacingOccurrences(of: old, with: new)
        }
        var arguments = try argv(try write("snp-signed.yaml", text))
        XCTAssertEqual(Set(try guestObject(arguments).keys), [
            "id", "cbitpos", "reduced-phys-bits", "policy", "id-block", "id-auth", "author-key-enabled", "host-data",
        ])
        let accel = try XCTUnwrap(arguments.firstIndex(of: "-accel"))
        arguments[accel + 1] = "tcg"
        let result = try Subprocess.run(qemu, ["-nodefaults"] + arguments)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { !$0.contains(": warning: ") },
                       ["qemu-system-x86_64: cannot set up private guest memory for sev-snp-guest: KVM required"])
    }

    /// libvirt 11.3's schema accepts the signed domain (idBlock, idAuth, hostData, authorKey),
    /// and `virsh define` + `dumpxml` on the test driver keep its launchSecurity as written.
    func testLibvirtAcceptsTheSignedDomain() throws {
        let schema = "/usr/share/libvirt/schemas/domain.rng"
        guard FileManager.default.fileExists(atPath: schema) else { try Peers.missing(schema) }
        let path = try spec(firmware: try firmware(Self.debianOVMF), confidential: try signingLines(extra: """
              host-data: c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=
            """))
        let r = try Subprocess.sevhost(["launch", path, "--print", "libvirt", "--cbitpos", "51", "--reduced-phys-bits", "1",
                                        "--templates", PackageRoot.url.appendingPathComponent("templates").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let xml = try write("domain.xml", r.stdout)
        let start = try XCTUnwrap(r.stdout.range(of: "<launchSecurity"))
        let end = try XCTUnwrap(r.stdout.range(of: "</launchSecurity>"))
        let launchSecurity = String(r.stdout[start.lowerBound..<end.upperBound])
        XCTAssertTrue(launchSecurity.hasPrefix("<launchSecurity type='sev-snp' authorKey='yes'>"), launchSecurity)
        for element in ["idBlock", "idAuth", "hostData"] {
            XCTAssertTrue(launchSecurity.contains("<\(element)>"), element)
        }
        let lint = try Subprocess.run(try Peers.executable("/usr/bin/xmllint"), ["--noout", "--relaxng", schema, xml])
        XCTAssertEqual(lint.stderr, "\(xml) validates\n")
        let virsh = try Subprocess.run(try Peers.executable("/usr/bin/virsh"), ["-q", "-c", "test:///default", "define \(xml); dumpxml snp-signed"])
        XCTAssertEqual(virsh.status, 0, virsh.stderr)
        XCTAssertTrue(virsh.stdout.contains(launchSecurity), virsh.stdout)
    }
}
