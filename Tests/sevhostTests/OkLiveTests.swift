import Foundation
import SEVTestSupport
import XCTest

/// `sevhost ok` on the machine the tests run on, and the capture round trip.
final class OkLiveTests: XCTestCase {
    /// Every failure on this host comes with a fix, and the exit status follows the failures.
    func testLiveHostExplainsEveryFailure() throws {
        let result = try Subprocess.sevhost(["ok", "--json"])
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let summary = try XCTUnwrap(document["summary"] as? [String: Int])
        XCTAssertEqual(result.status, summary["failed"] == 0 ? 0 : 1)
        XCTAssertEqual(document["ok"] as? Bool, summary["failed"] == 0)

        var failures = [[String: Any]]()
        func collect(_ checks: [[String: Any]]) {
            for check in checks {
                if check["status"] as? String == "fail" { failures.append(check) }
                collect(check["children"] as? [[String: Any]] ?? [])
            }
        }
        collect(try XCTUnwrap(document["checks"] as? [[String: Any]]))
        XCTAssertEqual(failures.count, summary["failed"])
        for failure in failures {
            let hint = failure["hint"] as? String ?? ""
            XCTAssertFalse(hint.isEmpty, "no hint for \(failure["name"] ?? "?")")
        }

        // The tree lists each failure again with its fix after the checks.
        let tree = try Subprocess.sevhost(["ok"])
        XCTAssertEqual(tree.status, result.status)
        for failure in failures {
            let name = try XCTUnwrap(failure["name"] as? String)
            XCTAssertTrue(tree.stdout.contains("  - \(name): \(failure["hint"] as? String ?? "")\n"), name)
        }
    }

    /// This machine is a guest without SEV (see DESIGN.md): it must say so, with the fix.
    func testThisGuestIsToldToRunOnTheHost() throws {
        let probe = try Subprocess.sevhost(["ok", "--json"])
        guard probe.stdout.contains("\"id\" : \"bare-metal\""), probe.stdout.contains("running inside a virtual machine") else {
            throw XCTSkip("this machine is not a virtual machine")
        }
        let result = try Subprocess.sevhost(["ok"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains(
            "[ FAIL ] - Bare-metal host: running inside a virtual machine (CPUID hypervisor bit set)\n"))
        XCTAssertTrue(result.stdout.contains(
            "  - Bare-metal host: This is a virtual machine: run sevhost ok on the bare-metal host, whose KVM launches the SEV guests\n"))
    }

    /// `sevhost capture` then `sevhost ok --host-root` gives what `sevhost ok` gives live.
    func testCaptureRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-capture-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        let capture = try Subprocess.sevhost(["capture", directory.path])
        XCTAssertEqual(capture.status, 0, capture.stderr)
        XCTAssertEqual(capture.stdout, "captured this host into \(directory.path); probe it with: sevhost ok --host-root \(directory.path)\n")

        for mode in [[], ["--short"], ["sev"], ["es"]] {
            let live = try Subprocess.sevhost(["ok"] + mode)
            let captured = try Subprocess.sevhost(["ok"] + mode + ["--host-root", directory.path])
            XCTAssertEqual(captured.stdout, live.stdout, "ok \(mode)")
            XCTAssertEqual(captured.status, live.status, "ok \(mode)")
        }
        // JSON differs only where it says which root was probed.
        let live = try Subprocess.sevhost(["ok", "--json"]).stdout
        let captured = try Subprocess.sevhost(["ok", "--json", "--host-root", directory.path]).stdout
        XCTAssertEqual(
            captured.replacingOccurrences(of: "\"captured\" : true", with: "\"captured\" : false")
                .replacingOccurrences(of: "\"root\" : \"\(directory.path)\"", with: "\"root\" : \"/\""),
            live)

        // A second capture into the same, now non-empty, directory is refused and changes nothing.
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let again = try Subprocess.sevhost(["capture", directory.path])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "sevhost: captured host: \(directory.path): exists and is not empty; capture into a new directory\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), before)
    }
}
