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
