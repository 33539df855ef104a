import QEMUFront
import QMP
import XCTest

/// A tagged request keeps every other member as written; QEMU's reply to it comes back with
/// the client's id as QEMU would have written it.
final class QMPTaggingTests: XCTestCase {
    let tagging = QMPTagging(marker: "m")

    func testTheRequestKeepsItsMembersAndCarriesItsIDInTheTag() throws {
        let request = Array("{'execute' : 'query-sev', \"arguments\": {\"a\":[1, 2]}, \"id\": {\"x\": 1.50}}".utf8)
        let node = try XCTUnwrap(QEMUJSONReader.read(request))
        XCTAssertEqual(
            String(decoding: tagging.tagged(request, node: node, tag: 7), as: UTF8.self),
            "{'execute' : 'query-sev', \"arguments\": {\"a\":[1, 2]}, \"id\": [\"m\", 7, {\"x\": 1.50}]}")
        let plain = Array("{\"execute\":\"query-sev\"}".utf8)
        XCTAssertEqual(
            String(decoding: tagging.tagged(plain, node: try XCTUnwrap(QEMUJSONReader.read(plain)), tag: 0), as: UTF8.self),
            "{\"execute\":\"query-sev\", \"id\": [\"m\", 0]}")
    }

    func testQEMUsReplyGetsTheClientsIDBack() throws {
        let reply = try XCTUnwrap(tagging.reply(Array(#"{"id": ["m", 7, {"x": 1.5}], "error": {"class": "GenericError", "desc": "Parameter 'foo' is unexpected"}}"#.utf8)))
        XCTAssertEqual(reply.tag, 7)
        XCTAssertEqual(reply.outcome, .failure(errorClass: "GenericError", description: "Parameter 'foo' is unexpected"))
        XCTAssertEqual(reply.restoredLine, "{\"id\": {\"x\": 1.5}, \"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'foo' is unexpected\"}}\r\n")
        let anonymous = try XCTUnwrap(tagging.reply(Array(#"{"return": {"enabled": false}, "id": ["m", 0]}"#.utf8)))
        XCTAssertEqual(anonymous.restoredLine, "{\"return\": {\"enabled\": false}}\r\n")
        XCTAssertEqual(QMPTagging.replyLine(.success(.object([("data", .string("AA=="))])), id: anonymous.originalID), "{\"return\": {\"data\": \"AA==\"}}\r\n")
    }

    func testOnlyTheFrontsOwnTagsAreTaken() {
        XCTAssertNil(tagging.reply(Array(#"{"return": {}, "id": ["n", 1]}"#.utf8)))
        XCTAssertNil(tagging.reply(Array(#"{"return": {}, "id": "m"}"#.utf8)))
        XCTAssertNil(tagging.reply(Array(#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}"#.utf8)))
    }
}
