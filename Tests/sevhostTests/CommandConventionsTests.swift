import Foundation
import SEVTestSupport
import XCTest

/// Every command of the built `sevhost`, walked from the tree it describes itself
/// (`--experimental-dump-help`), against the conventions of sevhost(1): help on standard output
/// with nothing on standard error, a usage error as one `sevhost: ` line then the usage on
/// standard error with exit status 64 and nothing on standard output, and `--version`.
final class CommandConventionsTests: XCTestCase {
    /// Every command as its words after `sevhost` (the root is `[]`), and whether it is a leaf.
    private func commands() throws -> [(words: [String], leaf: Bool)] {
        let dump = try Subprocess.sevhost(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let tree = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.stdoutBytes)) as? [String: Any])
        var found: [(words: [String], leaf: Bool)] = []
        func walk(_ node: [String: Any], _ words: [String]) {
            let children = (node["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            found.append((words, children.isEmpty))
            for child in children { walk(child, words + [child["commandName"] as? String ?? "?"]) }
        }
        walk(try XCTUnwrap(tree["command"] as? [String: Any]), [])
        return found
    }

    func testTheTreeHasEveryCommand() throws {
        let all = try commands()
        XCTAssertGreaterThanOrEqual(all.filter(\.leaf).count, 56, all.map { $0.words.joined(separator: " ") }.joined(separator: "\n"))
    }

    func testHelpGoesToStandardOutputOnly() throws {
        for command in try commands() {
            let help = try Subprocess.sevhost(command.words + ["--help"])
            let name = (["sevhost"] + command.words).joined(separator: " ")
            XCTAssertEqual(help.status, 0, "\(name): \(help.stderr)")
            XCTAssertEqual(help.stderr, "", name)
            XCTAssertTrue(help.stdout.contains("USAGE: \(name)"), "\(name): \(help.stdout)")
        }
    }

    func testAUsageErrorIsOneLineThenTheUsageWithStatus64() throws {
        for command in try commands() where command.leaf {
            let name = (["sevhost"] + command.words).joined(separator: " ")
            let result = try Subprocess.sevhost(command.words + ["--no-such-option"])
            XCTAssertEqual(result.status, 64, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", name)
            let lines = result.stderr.split(separator: "\n")
            XCTAssertTrue(lines.first?.hasPrefix("sevhost: ") == true, "\(name): \(result.stderr)")
            XCTAssertTrue(lines.contains { $0.hasPrefix("Usage: ") }, "\(name): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Error:"), "\(name): \(result.stderr)")
        }
        let unknown = try Subprocess.sevhost(["no-such-command"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertEqual(unknown.stdout, "")
        XCTAssertTrue(unknown.stderr.hasPrefix("sevhost: "), unknown.stderr)
    }

    func testVersionIsTheChangelogs() throws {
        let changelog = try String(contentsOf: PackageRoot.url.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = try XCTUnwrap(changelog.split(separator: "\n").first { $0.hasPrefix("## ") })
        let version = try Subprocess.sevhost(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, String(newest.dropFirst(3).split(separator: " ")[0]) + "\n")
        XCTAssertEqual(version.stderr, "")
    }

    /// sevhost(1) exists and states each exit status the walk checks.
    func testTheConventionsAreWrittenInSevhost1() throws {
        let page = try String(contentsOf: PackageRoot.url.appendingPathComponent("man/sevhost.1"), encoding: .utf8)
        XCTAssertTrue(page.contains(".SH CONVENTIONS"))
        for status in ["0", "1", "2", "64"] { XCTAssertTrue(page.contains(".TP\n.B \(status)\n"), "exit status \(status)") }
        XCTAssertTrue(page.contains(".B NO_COLOR\nis set to a non-empty value or\n.B TERM\nis\n.BR dumb ."))
    }

    /// The example lines of a command's help: those after `Examples:`, indented.
    private func examples(_ words: [String]) throws -> [String] {
        let help = try Subprocess.sevhost(words + ["--help"], environment: ["COLUMNS": "400"])
        guard let range = help.stdout.range(of: "Examples:\n") else { return [] }
        return help.stdout[range.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("  ") }.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Every command's help ends with at least one example of that very command.
    func testEveryHelpHasAnExampleOfItsCommand() throws {
        for command in try commands() {
            let name = (["sevhost"] + command.words).joined(separator: " ")
            let lines = try examples(command.words)
            XCTAssertFalse(lines.isEmpty, "\(name): no Examples: in its help")
            for line in lines {
                XCTAssertTrue(line == name || line.hasPrefix(name + " "), "\(name): example '\(line)' is of another command")
            }
        }
    }

    /// Each example parses: run as written (in an empty directory, with no daemon, KDS or AMD
    /// download reachable, and no /dev/sev here) it may fail for its missing files, never as
    /// a usage error.
    func testEveryExampleParses() throws {
        var template = Array("/tmp/sevhost-examples-XXXXXX".utf8CString)
        let directory = URL(fileURLWithPath: String(cString: try XCTUnwrap(mkdtemp(&template))))
        defer { try? FileManager.default.removeItem(at: directory) }
        let offline = "http://127.0.0.1:9"
        var seen: Set<String> = []
        for command in try commands() {
            for line in try examples(command.words) where seen.insert(line).inserted {
                let words = line.split(separator: " ").dropFirst().map(String.init)
                let result = try Subprocess.run(Peers.sevhost, words, environment: [
                    "NO_COLOR": "1", "HOME": directory.path, "SEVHOST_DAEMON": directory.path + "/none.sock",
                    "SEVHOST_KDS_URL": offline, "SEVHOST_AMD_CA_URL": offline, "XDG_STATE_HOME": directory.path,
                ], currentDirectory: directory)
                XCTAssertNotEqual(result.status, 64, "\(line): \(result.stderr)")
                XCTAssertFalse(result.stderr.contains("Usage:"), "\(line): \(result.stderr)")
            }
        }
        XCTAssertGreaterThan(seen.count, 60)
    }
}

/// The rest of sevhost(1)'s CONVENTIONS, walked over the same tree: `-q` on every command,
/// `--json` exactly where the table below says a command reports, and each `--json` document
/// that can be made offline carrying its `schema` and only kebab-case keys.
final class CommandOutputConventionsTests: XCTestCase {
    /// Every leaf command (its words after `sevhost`) with its options' long names and the
    /// short names of its flags.
    private func leaves() throws -> [(words: [String], options: [String: (kind: String, short: [String])])] {
        let dump = try Subprocess.sevhost(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let tree = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.stdoutBytes)) as? [String: Any])
        var found: [(words: [String], options: [String: (kind: String, short: [String])])] = []
        func walk(_ node: [String: Any], _ words: [String]) {
            let children = (node["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            if children.isEmpty {
                var options: [String: (kind: String, short: [String])] = [:]
                for argument in node["arguments"] as? [[String: Any]] ?? [] {
                    let names = argument["names"] as? [[String: Any]] ?? []
                    let short = names.filter { $0["kind"] as? String == "short" }.compactMap { $0["name"] as? String }
                    for name in names where name["kind"] as? String == "long" {
                        options[name["name"] as? String ?? "?"] = (argument["kind"] as? String ?? "?", short)
                    }
                }
                found.append((words, options))
            }
            for child in children { walk(child, words + [child["commandName"] as? String ?? "?"]) }
        }
        walk(try XCTUnwrap(tree["command"] as? [String: Any]), [])
        return found
    }

    /// The commands whose report has a `--json` form, by their words.
    static let reportsJSON: Set<String> = [
        "ok", "check", "hosts", "verify certs", "verify sev", "verify vlek-hashstick", "report show", "report verify",
        "id-block", "policy explain", "digest", "key-digest", "measurement build", "measurement verify", "attest run",
        "vm list", "vm show", "vm expect", "vm events",
        "show flags", "show tcb", "show snp-status", "show asids", "show snp-policy-bits", "show sev-firmware-file",
        // QEMU's own `return` value, passed through: its layout is QEMU's QAPI schema, not
        // sevhost's, so it has no `schema` key (sevhost(1), JSON).
        "qmp",
    ]

    /// The commands without `--json`, by why: the decision for each is here, so a new command
    /// fails the walk until someone decides.
    static let withoutJSON: [String: Set<String>] = [
        // Their output is one value (or one value per line: GET_ID per socket) meant for
        // `$(…)`; `ok --json` has the host's facts as a document.
        "one value for a script": [
            "show cbitpos", "show reduced-phys-bits", "show generation", "show identifier", "show version",
            "show guests", "show vcek-url", "show vlek-url", "show hashsticks-url", "policy build",
        ],
        // They write files or bytes (a capture, certificates, keys, a session, a secret, a
        // QEMU command line or domain), and say which on stderr.
        "writes files or bytes": [
            "capture", "launch", "vmsa build", "session", "secret build", "attest export", "export",
            "generate", "snp certs export", "snp certs import", "fetch ca", "fetch vcek", "fetch vlek",
            "fetch crl", "fetch hashsticks", "vm logs", "vm measurement",
        ],
        // They act (on the firmware, a guest, the daemon); the exit status says how it went.
        "acts; the exit status tells": [
            "provision", "reset", "rotate", "snp commit", "snp config set", "snp config reset", "snp vlek-load",
            "attest inject", "vm create", "vm start", "vm stop", "vm destroy", "vm inject",
        ],
        // Already JSON, in sevctl's layout (its keys, no schema), so the two can be diffed.
        "a peer's JSON layout": ["vmsa show"],
    ]

    func testEveryCommandTakesQuiet() throws {
        for leaf in try leaves() {
            let name = leaf.words.joined(separator: " ")
            XCTAssertEqual(leaf.options["quiet"]?.kind, "flag", "sevhost \(name): no --quiet flag")
            XCTAssertEqual(leaf.options["quiet"]?.short, ["q"], "sevhost \(name): --quiet is not -q")
        }
    }

    func testJSONIsWhereTheTableSaysAndEveryCommandIsDecided() throws {
        let all = try leaves()
        let names = Set(all.map { $0.words.joined(separator: " ") })
        let withJSON = Set(all.filter { $0.options["json"]?.kind == "flag" }.map { $0.words.joined(separator: " ") })
        XCTAssertEqual(withJSON, Self.reportsJSON)
        let decided = Self.withoutJSON.values.reduce(into: Self.reportsJSON) { $0.formUnion($1) }
        XCTAssertEqual(names.subtracting(decided), [], "commands nobody decided --json for")
        XCTAssertEqual(decided.subtracting(names), [], "decisions for commands that do not exist")
        for (reason, commands) in Self.withoutJSON {
            XCTAssertTrue(commands.isDisjoint(with: Self.reportsJSON), reason)
        }
    }

    /// `schema` is `sevhost-WORDS/1` and every key, at any depth, is kebab-case.
    private func assertConventional(_ words: [String], _ arguments: [String], status: Int32 = 0,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Subprocess.sevhost(words + ["--json", "-q"] + arguments)
        XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr, "", file: file, line: line)
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any], file: file, line: line)
        XCTAssertEqual(document["schema"] as? String, "sevhost-" + words.joined(separator: "-") + "/1", file: file, line: line)
        var keys: Set<String> = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                keys.formUnion(object.keys)
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        let kebab = try Regex("^[a-z0-9]+(-[a-z0-9]+)*$")
        XCTAssertEqual(keys.filter { (try? kebab.wholeMatch(in: $0)) == nil }, [], words.joined(separator: " "), file: file, line: line)
    }

    func testOfflineJSONDocumentsHaveTheirSchemaAndKebabCaseKeys() throws {
        let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
        try assertConventional(["ok"], ["--host-root", hosts], status: try Subprocess.sevhost(["ok", "--host-root", hosts]).status)
        try assertConventional(["check"], ["--host-root", hosts, "--qemu-args", "--", "qemu-system-x86_64", "-machine", "q35"],
                               status: try Subprocess.sevhost(["check", "--host-root", hosts, "--qemu-args", "--", "qemu-system-x86_64", "-machine", "q35"]).status)
        let report = try TestData.url("virtee-sev/tests/certs_data/report_milan.hex").path
        try assertConventional(["report", "show"], [report])
        let certs = FileManager.default.temporaryDirectory.appendingPathComponent("conventions-\(getpid())")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: certs) }
        for name in ["cert_chain_milan", "vcek_milan.der"] {
            try Data(try TestData.bytes("virtee-sev/tests/certs_data/" + name)).write(to: certs.appendingPathComponent(name))
        }
        try assertConventional(["verify", "certs"], [certs.path])
        try assertConventional(["report", "verify"], [report, "--certs", certs.path])
        let key = try TestData.url("virtee-sev-snp-measure/tests/keyfile/id_key_test.pem").path
        try assertConventional(["id-block"], ["--id-key", key, "--measurement", String(repeating: "00", count: 48), "--policy", "0x30000"])
        try assertConventional(["key-digest"], [key])
        try assertConventional(["policy", "explain"], ["0x30000", "--type", "snp"])
        try assertConventional(["policy", "explain"], ["nodbg,es", "--type", "sev"])
        let ovmf = try TestData.url("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin").path
        try assertConventional(["digest"], ["--mode", "snp:ovmf-hash", "--ovmf", ovmf])
        let launch = ["--api-major", "1", "--api-minor", "55", "--build-id", "21", "--policy", "0x1",
                      "--launch-digest", String(repeating: "ab", count: 32), "--tik", String(repeating: "cd", count: 16)]
        try assertConventional(["measurement", "build"], launch + ["--nonce", String(repeating: "ef", count: 16)])
        let built = try Subprocess.sevhost(["measurement", "build"] + launch + ["--nonce", String(repeating: "ef", count: 16)])
        try assertConventional(["measurement", "verify"], launch + ["--measurement", built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        let chain = certs.appendingPathComponent("rome.chain")
        let parts = ["pdh", "pek", "oca", "cek"].map { "virtee-sev/tests/rome/\($0).cert" } + ["ask", "ark"].map { "virtee-sev/src/certs/sev/builtin/rome/\($0).cert" }
        try Data(try parts.flatMap { try TestData.bytes($0) }).write(to: chain)
        try assertConventional(["verify", "sev"], ["--sev", chain.path])
        for words in [["show", "asids"], ["show", "snp-policy-bits"], ["show", "sev-firmware-file"]] {
            try assertConventional(words, ["--host-root", hosts])
        }
        let firmware = certs.appendingPathComponent("firmware")
        try FileManager.default.createDirectory(at: firmware, withIntermediateDirectories: true)
        for words in [["show", "flags"], ["show", "tcb"], ["show", "snp-status"]] {
            try assertConventional(words, ["--firmware", "sim:" + firmware.path])
        }
    }

    /// A refusal is 2: here `fetch` refusing a chain that is not the product's pinned AMD root
    /// (a mirror serving Milan's chain for Genoa); the attest tests show it for a secret
    /// refused (`AttestFlowTests`, `TwoPartyAttestTests`).
    func testARefusalIsTwo() throws {
        let mirror = try LocalKDSServer(routes: [
            "/vcek/v1/Genoa/cert_chain": .init(file: try TestData.url("virtee-sev/tests/certs_data/cert_chain_milan")),
        ])
        defer { mirror.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("conventions-refusal-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try Subprocess.sevhost(["fetch", "ca", "genoa", "--kds-url", mirror.baseURL, "--no-cache", "--out", out.path, "-q"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "sevhost: KDS answer refused: holds AMD's Milan ARK, not the Genoa one\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// The exit classes of sevhost(1) on representative commands: a failed check or an
    /// unreadable file is 1; a usage error is 64 (every command:
    /// `testAUsageErrorIsOneLineThenTheUsageWithStatus64`).
    func testAFailedCheckIsOne() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("conventions-empty-\(getpid())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let measurement = try Subprocess.sevhost([
            "measurement", "verify", "--measurement", String(repeating: "00", count: 48), "--api-major", "1", "--api-minor", "55",
            "--build-id", "21", "--policy", "0x1", "--launch-digest", String(repeating: "00", count: 32), "--tik", String(repeating: "00", count: 16),
        ])
        XCTAssertEqual(measurement.status, 1, measurement.stderr)
        XCTAssertEqual(measurement.stdout, "")
        XCTAssertTrue(measurement.stderr.hasPrefix("sevhost: measurement mismatch: "), measurement.stderr)
        let unreadable = try Subprocess.sevhost(["report", "show", empty.appendingPathComponent("none.bin").path])
        XCTAssertEqual(unreadable.status, 1)
        XCTAssertEqual(unreadable.stderr, "sevhost: \(empty.path)/none.bin: No such file or directory\n")
    }

    /// A socket or file that is not there is one plain line naming it: no NIO call
    /// (`connect(descriptor:addr:size:)`) and no Foundation error domain.
    func testErrorsNameTheSocketOrFileInOneLine() throws {
        let cases: [([String], String)] = [
            (["qmp", "/nonexistent/qmp.sock", "measure"], "sevhost: qmp: cannot connect to QMP socket /nonexistent/qmp.sock: No such file or directory\n"),
            (["attest", "export", "--qmp", "/nonexistent/qmp.sock", "--out", "/nonexistent/bundle.json"],
             "sevhost: attest: QMP: cannot connect to QMP socket /nonexistent/qmp.sock: No such file or directory\n"),
            (["vm", "list", "--daemon", "/nonexistent/sevhostd.sock"],
             "sevhost: vm list: cannot reach sevhostd at /nonexistent/sevhostd.sock: No such file or directory (is it running? --daemon or SEVHOST_DAEMON names another socket)\n"),
            (["vmsa", "show", "/"], "sevhost: /: a directory, expected a regular file\n"),
            (["key-digest", "/nonexistent/id.pem"], "sevhost: KEY /nonexistent/id.pem: No such file or directory\n"),
        ]
        for (arguments, expected) in cases {
            let result = try Subprocess.sevhost(arguments)
            XCTAssertEqual(result.status, 1, arguments.joined(separator: " "))
            XCTAssertEqual(result.stdout, "", arguments.joined(separator: " "))
            XCTAssertEqual(result.stderr, expected)
        }
    }

    func testQuietLeavesDataAndErrors() throws {
        let hosts = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
        let loud = try Subprocess.sevhost(["show", "cbitpos", "--host-root", hosts])
        let quiet = try Subprocess.sevhost(["show", "cbitpos", "--host-root", hosts, "-q"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stdout, loud.stdout)
        XCTAssertFalse(quiet.stdout.isEmpty)
        XCTAssertEqual(quiet.stderr, "")
        let failed = try Subprocess.sevhost(["report", "show", "/nonexistent/report.bin", "-q"])
        XCTAssertEqual(failed.status, 1)
        XCTAssertEqual(failed.stderr, "sevhost: /nonexistent/report.bin: No such file or directory\n")
    }
}
