import QEMUFront
import XCTest

/// The front's replies are laid out as QEMU 10 lays out its own; the expected texts are QEMU
/// 10.0.2's, captured from its monitor.
final class QEMUJSONWriterTests: XCTestCase {
    func testMembersComeInQEMUsHashTableOrder() {
        let greeting = QEMUJSON.object([
            ("QMP", .object([
                ("version", .object([
                    ("qemu", .object([("major", .int(10)), ("minor", .int(0)), ("micro", .int(2))])),
                    ("package", .string("Debian 1:10.0.2+ds-2+deb13u1~bpo12+1")),
                ])),
                ("capabilities", .array([.string("oob")])),
            ])),
        ])
        XCTAssertEqual(
            greeting.text,
            #"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1"}, "capabilities": ["oob"]}}"#)
        let info = QEMUJSON.object([
            ("enabled", .bool(false)), ("api-major", .int(0)), ("api-minor", .int(0)), ("build-id", .int(0)),
            ("state", .string("uninit")), ("sev-type", .string("sev")), ("policy", .int(0)), ("handle", .int(0)),
        ])
        XCTAssertEqual(
            info.text,
            #"{"enabled": false, "api-minor": 0, "handle": 0, "state": "uninit", "api-major": 0, "sev-type": "sev", "build-id": 0, "policy": 0}"#)
    }

    func testRepliesWithAndWithoutAnID() {
        XCTAssertEqual(
            QMPTagging.replyLine(.failure("SEV launch measurement is not available"), id: "[1, {\"a\": 2.5}]"),
            "{\"id\": [1, {\"a\": 2.5}], \"error\": {\"class\": \"GenericError\", \"desc\": \"SEV launch measurement is not available\"}}\r\n")
        XCTAssertEqual(QMPTagging.replyLine(.success(.object([])), id: nil), "{\"return\": {}}\r\n")
        XCTAssertEqual(QMPTagging.replyLine(.success(.object([])), id: "\"x\""), "{\"return\": {}, \"id\": \"x\"}\r\n")
    }

    func testStringsAreEscapedAsQEMUEscapesThem() {
        XCTAssertEqual(QEMUJSON.string("a\u{e9}\"\\\n\u{1}\u{1F600}").text, #""a\u00E9\"\\\n\u0001\uD83D\uDE00""#)
    }
}
