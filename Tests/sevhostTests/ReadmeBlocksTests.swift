import Foundation
import SEVTestSupport
import XCTest

/// Every shell block a user may paste, from README.md and docs/*.md, runs as pasted: bash
/// parses it, and no line writes `a | b` to mean "a or b" (pasted, that runs `b` with `a`'s
/// output, or `b` alone as a command). `ReadmeTourTests` runs the tour's blocks; the others
/// (setup, install, development) change the machine and are checked here without running.
final class ReadmeBlocksTests: XCTestCase {
    struct Block {
        var file: String
        var line: Int
        var language: String
        var text: String
    }

    /// The fenced blocks of `file`, with the line of their opening fence.
    static func blocks(_ file: URL) throws -> [Block] {
        var blocks: [Block] = []
        var current: Block?
        for (index, line) in try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("```") else {
                current?.text += line + "\n"
                continue
            }
            if let block = current {
                blocks.append(block)
                current = nil
            } else {
                current = Block(file: file.lastPathComponent, line: index + 1, language: String(trimmed.dropFirst(3)), text: "")
            }
        }
        return blocks
    }

    static var documents: [URL] {
        let docs = PackageRoot.url.appendingPathComponent("docs")
        let markdown = ((try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
        return [PackageRoot.url.appendingPathComponent("README.md")] + markdown
    }

    /// Shell blocks, and text blocks made of sevhost command lines (shown, and so pasted).
    static func pastable(_ block: Block) -> Bool {
        if ["sh", "bash", "shell", "console"].contains(block.language) { return true }
        let lines = block.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return block.language == "text" && !lines.isEmpty && lines.allSatisfy { $0.hasPrefix("sevhost") }
    }

    /// Programs a pipeline may feed: they read standard input. Anything else after a `|` is
    /// an alternative written as a pipe, or a command that ignores what it is given.
    static let filters: Set<String> = [
        "sevhost", "jq", "grep", "sed", "awk", "head", "tail", "tee", "sort", "uniq", "wc", "cut", "tr", "xargs",
        "base64", "xxd", "od", "hexdump", "python3", "sh", "bash", "less", "cat", "gzip", "gunzip", "sha256sum",
        "openssl", "column", "virsh", "socat", "diff",
    ]

    /// The pipeline stages of one command line: split at `|` outside quotes, not `||`, before a
    /// comment. Nil for a line inside a here-document's body.
    static func stages(_ line: String) -> [String] {
        var stages: [String] = [""]
        var quote: Character?
        var previous: Character = " "
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if let open = quote {
                if character == open { quote = nil }
                stages[stages.count - 1].append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                stages[stages.count - 1].append(character)
            } else if character == "#", previous == " " || previous == "\t" {
                break
            } else if character == "|" {
                if characters.first == "|" {
                    characters.removeFirst()
                    stages[stages.count - 1] += "||"
                } else {
                    stages.append("")
                }
            } else {
                stages[stages.count - 1].append(character)
            }
            previous = character
        }
        return stages
    }

    /// The lines a shell reads as commands: here-document bodies left out.
    static func commandLines(_ text: String) -> [String] {
        var lines: [String] = []
        var terminator: String?
        for line in text.components(separatedBy: "\n") {
            if let end = terminator {
                if line.trimmingCharacters(in: .whitespaces) == end { terminator = nil }
                continue
            }
            lines.append(line)
            if let range = line.range(of: #"<<-?\s*'?"?([A-Za-z_]+)'?"?"#, options: .regularExpression) {
                terminator = String(line[range]).trimmingCharacters(in: CharacterSet(charactersIn: "<-'\" "))
            }
        }
        return lines
    }

    func testTheRulesCatchAlternativesWrittenAsPipes() {
        XCTAssertEqual(Self.stages("sevhost snp config set|reset|commit"), ["sevhost snp config set", "reset", "commit"])
        XCTAssertEqual(Self.stages("sevhost launch x --print qemu | libvirt   # or json | yaml"), ["sevhost launch x --print qemu ", " libvirt   "])
        XCTAssertEqual(Self.stages("a || b"), ["a || b"])
        XCTAssertEqual(Self.stages("grep 'a|b' f | wc -l"), ["grep 'a|b' f ", " wc -l"])
        XCTAssertEqual(Self.commandLines("cat > a <<'SPEC'\nx | y\nSPEC\nls"), ["cat > a <<'SPEC'", "ls"])
    }

    func testEveryPastableBlockParsesAndPipesOnlyIntoFilters() throws {
        var checked = 0
        for document in Self.documents {
            for block in try Self.blocks(document) where Self.pastable(block) {
                checked += 1
                let place = "\(block.file):\(block.line)"
                let syntax = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["-n", "-c", block.text])
                XCTAssertEqual(syntax.status, 0, "\(place): bash -n: \(syntax.stderr)")
                for line in Self.commandLines(block.text) {
                    for stage in Self.stages(line).dropFirst() {
                        let program = stage.split(separator: " ").first.map(String.init) ?? ""
                        XCTAssertTrue(Self.filters.contains(program), "\(place): `\(line)` pipes into `\(program)`, which is not a filter: an alternative written as a pipe?")
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 10, "the README's blocks were not found")
    }
}
