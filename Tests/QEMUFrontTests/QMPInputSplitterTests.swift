import QEMUFront
import XCTest

/// The splitter finds objects where QEMU's JSON streamer does, and hands every byte on.
final class QMPInputSplitterTests: XCTestCase {
    private func split(_ chunks: [String]) -> [QMPInputSplitter.Piece] {
        var splitter = QMPInputSplitter()
        var pieces: [QMPInputSplitter.Piece] = []
        for chunk in chunks { pieces += splitter.feed(Array(chunk.utf8)) }
        return pieces
    }

    private func object(_ text: String) -> QMPInputSplitter.Piece { .object(Array(text.utf8)) }
    private func pass(_ text: String) -> QMPInputSplitter.Piece { .passThrough(Array(text.utf8)) }

    func testObjectsNeedNoNewlineAndMayShareALine() {
        XCTAssertEqual(split(["{\"execute\":\"a\"}"]), [object("{\"execute\":\"a\"}")])
        XCTAssertEqual(split(["{\"a\":1}{\"b\":2} \n{\"c\":3}"]), [object("{\"a\":1}"), object("{\"b\":2}"), pass(" \n"), object("{\"c\":3}")])
    }

    func testAnObjectArrivingInPiecesIsHeldUntilItsLastByte() {
        XCTAssertEqual(split(["  {\"exe", "cute\": \"x\"", "}"]), [pass("  "), object("{\"execute\": \"x\"}")])
    }

    func testBracesInsideStringsDoNotCount() {
        XCTAssertEqual(split(["{\"a\":\"}{\",'b':'\\'}'}"]), [object("{\"a\":\"}{\",'b':'\\'}'}")])
    }

    /// A number or keyword ends on the byte after it; that byte can start an object.
    func testTopLevelScalarsAndGarbagePassThrough() {
        XCTAssertEqual(split(["12{\"a\":1}"]), [pass("12"), object("{\"a\":1}")])
        XCTAssertEqual(split(["true{\"a\":1}"]), [pass("true"), object("{\"a\":1}")])
        XCTAssertEqual(split(["}]{\"a\":1}"]), [pass("}]"), object("{\"a\":1}")])
        XCTAssertEqual(split(["[{\"a\":1}]"]), [pass("[{\"a\":1}]")])
    }

    /// QEMU counts braces and brackets apart, never below zero: `{]}` is one message.
    func testUnbalancedNestingEndsWhereQEMUsCountsDo() {
        XCTAssertEqual(split(["{]}{\"b\":1}"]), [object("{]}"), object("{\"b\":1}")])
        XCTAssertEqual(split(["{[}]x"]), [object("{[}]"), pass("x")])
    }

    /// After a lexer error QEMU skips to the next structural or control byte, quotes included.
    func testLexerErrorsRecoverAsQEMUsLexerDoes() {
        // A control character in a string is an error; the recovery swallows the closing quote.
        XCTAssertEqual(split(["\"a\u{1}b\"{\"a\":1}"]), [pass("\"a\u{1}b\""), object("{\"a\":1}")])
        // Inside an object the counts still decide where the message ends.
        XCTAssertEqual(split(["{\"a\":01}{\"b\":1}"]), [object("{\"a\":01}"), object("{\"b\":1}")])
        XCTAssertEqual(split(["@{\"a\":1}"]), [pass("@"), object("{\"a\":1}")])
    }

    func testAnObjectLargerThanTheLimitIsHandedOnAsItComes() {
        var splitter = QMPInputSplitter(holdLimit: 8)
        XCTAssertEqual(splitter.feed(Array("{\"a\":\"0123".utf8)), [pass("{\"a\":\"0123")])
        XCTAssertEqual(splitter.feed(Array("4\"}{\"b\":1}".utf8)), [pass("4\"}"), object("{\"b\":1}")])
        XCTAssertTrue(splitter.isIdle)
    }
}
