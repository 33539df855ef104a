import Foundation
import Launch
import XCTest

/// Specs written to mislead (findings 8 and 9 of issue 17): refusals name the file, the line and
/// the field, never the file's contents; YAML's tags, anchors, aliases and merge keys are
/// refused instead of silently changing or dropping a value; no value holds a control
/// character; sizes are bounded.
final class SpecHostileInputTests: XCTestCase {
    let minimal = Samples.minimalSpec

    private func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try SpecLoader.load(text: text, file: "g.yaml")
            XCTFail("accepted", file: file, line: line)
            return ""
        } catch {
            XCTAssertEqual(error.description.split(separator: "\n").count, 1, "one line", file: file, line: line)
            return error.description
        }
    }

    /// The finding: a duplicate key printed the whole spec, comments included.
    func testADuplicateKeyIsNamedWithoutTheFilesText() {
        let message = refusal("# the owner's private note\n" + minimal + "name: h\n")
        XCTAssertEqual(message, "g.yaml:2: duplicate key 'name': each key may appear once")
        XCTAssertFalse(message.contains("private note"))
    }

    /// The finding: a control character printed its line.
    func testAControlCharacterIsNamedByLineAndCode() {
        XCTAssertEqual(
            refusal(minimal.replacingOccurrences(of: "name: g", with: "name: g\u{1b}[2J secret-words")),
            "g.yaml:1: invalid YAML/JSON: control characters are not allowed (U+1B)")
        // Escaped in a quoted string, it passes YAML but not the spec.
        XCTAssertEqual(
            refusal(minimal.replacingOccurrences(of: "name: g", with: #"name: "g\e[2J""#)),
            "g.yaml:1: name: contains the control character U+1B; a spec holds printable text only")
        XCTAssertEqual(
            refusal(minimal + "kernel:\n  path: /k\n  append: |\n    console=ttyS0\n"),
            "g.yaml:11: kernel.append: contains a newline; a value is one line (a block scalar keeps its last newline unless written |- or >-)")
    }

    /// The finding: `host-data: !!!x` read as no host-data at all.
    func testTagsAreRefused() {
        for tagged in ["  host-data: !!!x\n", "  host-data: !!binary AAAA\n", "  host-data: !!null AAAA\n", "  host-data: !custom AAAA\n"] {
            XCTAssertEqual(refusal(minimal + tagged), "g.yaml:9: tags (!) are not accepted in a spec; write the plain value, or quote it")
        }
        XCTAssertEqual(refusal("{\"name\": !!str g}"), "g.yaml:1: tags (!) are not accepted in a spec; write the plain value, or quote it")
    }

    /// Anchors and aliases, including the exponential kind that would hang the parser itself,
    /// are refused before it runs.
    func testAnchorsAliasesAndMergeKeysAreRefused() {
        XCTAssertEqual(
            refusal(minimal.replacingOccurrences(of: "name: g", with: "name: &n g") + "machine: *n\n"),
            "g.yaml:1: anchors (&) are not accepted in a spec; write the value out, or quote it")
        var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1..<12 {
            laughs += "l\(level): &l\(level) [" + Array(repeating: "*\(level == 1 ? "a" : "l\(level - 1)")", count: 9).joined(separator: ",") + "]\n"
        }
        laughs += "? *l11\n: boom\n"
        let started = Date()
        XCTAssertEqual(refusal(laughs), "g.yaml:1: anchors (&) are not accepted in a spec; write the value out, or quote it")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refused before the parser expands it")
        XCTAssertEqual(
            refusal(minimal + "firmware2: {path: /x}\n".replacingOccurrences(of: "firmware2", with: "<<")),
            "g.yaml:9: <<: merge keys are not accepted in a spec; write the keys out")
    }

    /// Values that merely start with those characters, quoted, and the same characters inside
    /// text, are values like any other.
    func testTheCharactersInsideValuesAreValues() throws {
        let spec = try SpecLoader.load(text: minimal.replacingOccurrences(of: "name: g", with: "name: g") + """
            kernel:
              path: "*kernel"
              initrd: '&initrd'
              append: console=ttyS0 a*b c&d !e # a comment with *alias
            """, file: "g.yaml")
        XCTAssertEqual(spec.kernel, KernelSpec(path: "*kernel", initrd: "&initrd", append: "console=ttyS0 a*b c&d !e"))
    }

    /// The finding: `memory: 18446744073709551615` was accepted.
    func testMemoryIsBounded() {
        XCTAssertEqual(
            refusal(minimal.replacingOccurrences(of: "memory: 4G", with: "memory: 18446744073709551615")),
            "g.yaml:3: memory: 18446744073709551615 MiB is more than the 16 TiB a guest may have")
        XCTAssertEqual(
            refusal(minimal.replacingOccurrences(of: "memory: 4G", with: "memory: 99999G")),
            "g.yaml:3: memory: '99999G' is not a memory size (expected MiB or a size such as 4096M or 4G, at most 16 TiB)")
        XCTAssertNoThrow(try SpecLoader.load(text: minimal.replacingOccurrences(of: "memory: 4G", with: "memory: 16384G"), file: "g.yaml"))
    }

    /// A directory, a FIFO or an endless device as the spec file: refused by what it is, at once.
    func testASpecThatIsNotARegularFileIsRefused() throws {
        let directory = NSTemporaryDirectory() + "spec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertEqual(mkfifo(directory + "/fifo.yaml", 0o600), 0)
        for (path, what) in [(directory, "a directory"), (directory + "/fifo.yaml", "a FIFO (named pipe)"), ("/dev/zero", "a character device")] {
            XCTAssertThrowsError(try SpecLoader.load(path: path)) { error in
                XCTAssertEqual("\(error)", "\(path): cannot read the spec file: \(what), expected a regular file")
            }
        }
    }
}
