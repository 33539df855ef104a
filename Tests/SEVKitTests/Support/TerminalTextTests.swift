import SEVKit
import XCTest

/// The one sanitiser for text from outside: every control character and every character that
/// reorders or hides text is shown as an escape; everything else is left as it was.
final class TerminalTextTests: XCTestCase {
    func testControlsAreEscapedAndTextIsNot() {
        XCTAssertEqual(TerminalText.line("plain text, ünïcode 🚀"), "plain text, ünïcode 🚀")
        XCTAssertEqual(TerminalText.line("a\u{1b}[2J\nb\r\tc\u{7f}\u{0}"), "a\\x1b[2J\\nb\\r\\tc\\x7f\\x00")
        // C1 controls (CSI is U+009B), bidirectional overrides, zero-width and line separators.
        XCTAssertEqual(TerminalText.line("\u{9b}31m \u{202e}evil\u{2066} \u{200b}\u{2028}\u{feff}"), "\\u{9b}31m \\u{202e}evil\\u{2066} \\u{200b}\\u{2028}\\u{feff}")
    }

    func testLinesKeepNewlinesOnly() {
        XCTAssertEqual(TerminalText.lines("one\ntwo\u{1b}]0;title\u{7}\n"), "one\ntwo\\x1b]0;title\\x07\n")
    }

    func testAForgedLineStaysInsideItsLine() {
        let hostile = "SEV: Not in correct state\ninjected: 1 secret(s); guest continued"
        XCTAssertEqual(TerminalText.line(hostile).split(separator: "\n").count, 1)
        XCTAssertFalse(TerminalText.isClean(hostile))
        XCTAssertTrue(TerminalText.isClean(TerminalText.line(hostile)))
    }
}
