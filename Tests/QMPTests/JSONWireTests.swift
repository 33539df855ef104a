@testable import QMP
import XCTest

/// The JSON layer: what the parser accepts and refuses, and the exact request bytes.
final class JSONWireTests: XCTestCase {
    private func parse(_ text: String) -> QMPValue? {
        try? QMPValue(json: Array(text.utf8))
    }

    func testParsesQEMUReplies() {
        XCTAssertEqual(
            parse(#"{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": 7}"#),
            ["return": ["status": "prelaunch", "singlestep": false, "running": false], "id": 7])
        XCTAssertEqual(
            parse(#"{"timestamp": {"seconds": 1795346051, "microseconds": 5450}, "event": "RESUME"}"#),
            ["timestamp": ["seconds": 1_795_346_051, "microseconds": 5450], "event": "RESUME"])
    }

    func testStringEscapes() {
        XCTAssertEqual(parse(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(parse(#""caf\u00e9 \ud83d\ude00""#), .string("café 😀"))
        XCTAssertEqual(parse("\"café\""), .string("café"))
    }

    func testNumbers() {
        XCTAssertEqual(parse("0"), .int(0))
        XCTAssertEqual(parse("-0"), .int(0))
        XCTAssertEqual(parse("9223372036854775807"), .int(.max))
        XCTAssertEqual(parse("9223372036854775808"), .uint(9_223_372_036_854_775_808))
        XCTAssertEqual(parse("18446744073709551615"), .uint(.max))
        XCTAssertEqual(parse("-9223372036854775808"), .int(.min))
        XCTAssertEqual(parse("18446744073709551616"), .double(18446744073709551616))
        XCTAssertEqual(parse("-1.25e2"), .double(-125))
        XCTAssertEqual(parse("2E-1"), .double(0.2))
    }

    func testRejectsWhatIsNotJSON() {
        for text in [
            "", " ", "01", "1.", ".5", "-", "1e", "+1", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}",
            "tru", "nul", "\"unterminated", "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "1 2", "{} {}",
            "'single'", "[\"\\udc00\"]",
        ] {
            XCTAssertNil(parse(text), "accepted \(text.debugDescription)")
        }
        XCTAssertNil(try? QMPValue(json: [0x22, 0xFF, 0xFE, 0x22]), "accepted a string that is not UTF-8")
    }

    func testNestingIsBounded() {
        let deep = String(repeating: "[", count: QMPJSONParser.maximumDepth) + String(repeating: "]", count: QMPJSONParser.maximumDepth)
        XCTAssertNotNil(parse(deep))
        let tooDeep = "[" + deep + "]"
        XCTAssertNil(parse(tooDeep))
        XCTAssertThrowsError(try QMPValue(json: Array(String(repeating: "[", count: 1_000_000).utf8))) {
            XCTAssertEqual($0 as? QMPError, .malformedMessage(String(repeating: "[", count: 60) + "…"))
        }
    }

    func testRequestBytes() {
        XCTAssertEqual(QMPRequest.line(command: "query-status", arguments: nil, id: 1), #"{"execute":"query-status","id":1}"# + "\n")
        XCTAssertEqual(QMPRequest.line(command: "query-status", arguments: nil, id: nil), #"{"execute":"query-status"}"# + "\n")
        XCTAssertEqual(
            QMPRequest.line(command: "sev-inject-launch-secret", arguments: ["packet-header": "AQ==", "secret": "Ag==", "gpa": .uint(.max)], id: 42),
            #"{"execute":"sev-inject-launch-secret","arguments":{"gpa":18446744073709551615,"packet-header":"AQ==","secret":"Ag=="},"id":42}"#
                + "\n")
        let line = QMPRequest.line(command: "a\"b\\c\u{1}é", arguments: nil, id: -1)
        XCTAssertEqual(line, #"{"execute":"a\"b\\c\u0001é","id":-1}"# + "\n")
        // And it parses back to the same command name.
        XCTAssertEqual(parse(String(line.dropLast()))?["execute"], .string("a\"b\\c\u{1}é"))
    }
}
