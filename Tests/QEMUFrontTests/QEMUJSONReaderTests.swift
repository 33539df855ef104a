import QEMUFront
import QMP
import XCTest

/// The reader accepts what QEMU's parser accepts (checked against QEMU 10.0.2's replies) and
/// keeps where each member is.
final class QEMUJSONReaderTests: XCTestCase {
    private func read(_ text: String) -> QEMUJSONNode? { QEMUJSONReader.read(Array(text.utf8)) }

    func testQEMUsExtensionsAreRead() throws {
        let node = try XCTUnwrap(read("{'execute': 'query-status', \"id\": 'a\\u00e9\\''}"))
        XCTAssertEqual(node.member("execute")?.value, "query-status")
        XCTAssertEqual(node.member("id")?.value, "a\u{e9}'")
        XCTAssertEqual(read("{\"id\": 18446744073709551615}")?.member("id")?.value, .uint(18_446_744_073_709_551_615))
        XCTAssertEqual(read("{\"id\": 18446744073709551616}")?.member("id")?.value, .double(18_446_744_073_709_551_616))
        XCTAssertEqual(read("{\"id\": -0}")?.member("id")?.value, .int(0))
        XCTAssertEqual(read("{\"id\": \"\\u0000\"}")?.member("id")?.value, "\u{0}")
    }

    /// QEMU: "JSON parse error, duplicate key", "invalid escape", "expecting value"...
    func testWhatQEMURefusesIsRefused() {
        XCTAssertNil(read("{\"a\": 1, \"a\": 2}"))
        XCTAssertNil(read("{\"a\": \"\\q\"}"))
        XCTAssertNil(read("{\"a\": 01}"))
        XCTAssertNil(read("{\"a\" 1}"))
        XCTAssertNil(read("{\"a\": tru}"))
        XCTAssertNil(read("{\"a\": \"\\ud800\"}"))
        XCTAssertNil(read("{1: 2}"))
    }

    func testRangesPointAtTheTextAsWritten() throws {
        let text = "{ \"execute\" : \"x\" ,\"id\":[1, {\"a\" : 2.50}] }"
        let node = try XCTUnwrap(read(text))
        let bytes = Array(text.utf8)
        let id = try XCTUnwrap(node.member("id"))
        XCTAssertEqual(String(decoding: bytes[id.range], as: UTF8.self), "[1, {\"a\" : 2.50}]")
        XCTAssertEqual(String(decoding: bytes[node.members[0].keyRange], as: UTF8.self), "\"execute\"")
        XCTAssertEqual(String(decoding: bytes[id.elements[1].range], as: UTF8.self), "{\"a\" : 2.50}")
    }
}
