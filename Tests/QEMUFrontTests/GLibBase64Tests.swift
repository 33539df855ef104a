@testable import QEMUFront
import XCTest

/// GLib's decoder, as QEMU reads base64 (values checked with GLib's own g_base64_decode).
final class GLibBase64Tests: XCTestCase {
    func testGLibsLeniency() {
        XCTAssertEqual(GLibBase64.decode("AAEC"), [0, 1, 2])
        XCTAssertEqual(GLibBase64.decode("AAE="), [0, 1])
        XCTAssertEqual(GLibBase64.decode("AA=="), [0])
        XCTAssertEqual(GLibBase64.decode("A A\nE!C"), [0, 1, 2], "characters outside the alphabet are skipped")
        XCTAssertEqual(GLibBase64.decode("AA"), [], "an incomplete group is dropped")
        XCTAssertEqual(GLibBase64.decode("****"), [])
        XCTAssertEqual(GLibBase64.decode("AAECAw"), [0, 1, 2])
    }
}
