import Foundation
import SEVTestSupport
import XCTest

/// Colour goes to terminals only, and never with a non-empty NO_COLOR or TERM=dumb
/// (sevhost(1), CONVENTIONS).
final class OkColorTests: XCTestCase {
    let milan = PackageRoot.url.appendingPathComponent("Tests/Fixtures/hosts/milan-snp").path
    let escape = "\u{1B}["

    /// Runs sevhost on a pseudo-terminal (`ok` on the Milan fixture unless `arguments` says).
    func onTerminal(noColor: String?, term: String? = "xterm", arguments: String? = nil) throws -> String {
        try Subprocess.sevhostOnTerminal(arguments ?? "ok --host-root \(milan)", environment: ["NO_COLOR": noColor, "TERM": term]).stdout
    }

    func testColourOnATerminal() throws {
        let text = try onTerminal(noColor: nil)
        XCTAssertTrue(text.contains("[ \(escape)32mPASS\(escape)0m ] - AMD CPU"), text)
    }

    /// no-color.org: an empty NO_COLOR is as if it were unset.
    func testColourWithAnEmptyNoColor() throws {
        XCTAssertTrue(try onTerminal(noColor: "").contains("[ \(escape)32mPASS\(escape)0m ] - AMD CPU"))
    }

    func testNoColourOnADumbTerminal() throws {
        let text = try onTerminal(noColor: nil, term: "dumb")
        XCTAssertFalse(text.contains(escape), text)
        XCTAssertTrue(text.contains("[ PASS ] - AMD CPU"), text)
    }

    func testNoColourWithNoColor() throws {
        let text = try onTerminal(noColor: "1")
        XCTAssertFalse(text.contains(escape), text)
        XCTAssertTrue(text.contains("[ PASS ] - AMD CPU"), text)
    }

    /// `verify sev`'s tree (sevctl's glyphs, green or red) follows the same rule, and -q
    /// prints nothing there either.
    func testTheSEVChainTreeFollowsTheSameRule() throws {
        let parts = ["pdh", "pek", "oca", "cek"].map { "virtee-sev/tests/rome/\($0).cert" }
            + ["ask", "ark"].map { "virtee-sev/src/certs/sev/builtin/rome/\($0).cert" }
        let chain = FileManager.default.temporaryDirectory.appendingPathComponent("colour-\(getpid()).chain")
        try Data(try parts.flatMap { try TestData.bytes($0) }).write(to: chain)
        defer { try? FileManager.default.removeItem(at: chain) }
        let verify = "verify sev --sev \(chain.path)"
        XCTAssertTrue(try onTerminal(noColor: nil, arguments: verify).contains("\(escape)32m⬑\(escape)0m"))
        for (noColor, term) in [("1", "xterm"), (nil, "dumb")] as [(String?, String)] {
            let text = try onTerminal(noColor: noColor, term: term, arguments: verify)
            XCTAssertFalse(text.contains(escape), text)
            XCTAssertTrue(text.contains(" ⬑ "), text)
        }
        XCTAssertEqual(try onTerminal(noColor: nil, arguments: verify + " -q"), "")
    }

    func testNoColourInAPipe() throws {
        let result = try Subprocess.run(Peers.sevhost, ["ok", "--host-root", milan], environment: ["NO_COLOR": ""])
        XCTAssertFalse(result.stdout.contains(escape))
        XCTAssertTrue(result.stdout.hasPrefix("[ PASS ] - AMD CPU\n"))
    }
}
