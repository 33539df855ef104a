import Foundation
import Orchestration
import XCTest

/// Where sevhostd places a new VM among its libvirt hosts, and the words of each refusal.
final class LibvirtPlacementTests: XCTestCase {
    /// A host report as `sevhost hosts --json` prints it.
    private func host(_ uri: String, sev: Bool = true, snp: Bool = false, maxGuests: Int? = 2, active: Int = 0) throws -> LibvirtHostReport {
        var json: [String: Any] = [
            "uri": uri, "hostname": "h-\(uri.count)", "libvirtVersion": "11.3.0", "sev": sev, "sevES": false, "sevSNP": snp,
            "guests": ["running": active, "paused": 0, "total": active],
        ]
        if let maxGuests { json["maxGuests"] = maxGuests }
        return try JSONDecoder().decode(LibvirtHostReport.self, from: JSONSerialization.data(withJSONObject: json))
    }

    private func choose(_ hosts: [LibvirtHostReport?], type: String = "sev", requested: String? = nil) throws(LaunchFailure) -> Int {
        let candidates = hosts.enumerated().map { index, report in
            (uri: report?.uri ?? "qemu+tcp://down\(index)/system",
             survey: report.map { Result<LibvirtHostReport, LaunchFailure>.success($0) } ?? .failure(LaunchFailure("qemu+tcp://down\(index)/system: unreachable (no route)")))
        }
        return try LibvirtPlacement.choose(candidates, type: type, requested: requested)
    }

    func testTheFirstHostThatFitsIsChosen() throws {
        XCTAssertEqual(try choose([try host("qemu:///a"), try host("qemu:///b")]), 0)
        // No SEV, all ASIDs taken, unreachable: each is passed over for the next.
        XCTAssertEqual(try choose([try host("qemu:///a", sev: false), try host("qemu:///b", active: 2), nil, try host("qemu:///d")]), 3)
        XCTAssertEqual(try choose([try host("qemu:///a"), try host("qemu:///b", snp: true)], type: "sev-snp"), 1)
        // An unknown ASID count refuses nothing.
        XCTAssertEqual(try choose([try host("qemu:///a", maxGuests: nil, active: 40)]), 0)
    }

    func testARefusalSaysWhatEachHostLacks() throws {
        XCTAssertThrowsError(try choose([try host("qemu:///a", sev: false), try host("qemu:///b", active: 3), nil])) { error in
            XCTAssertEqual(
                "\(error)",
                "no libvirt host can run a sev guest: qemu:///a: no SEV (libvirt's domain capabilities); qemu:///b: no free SEV ASID (2 in all, 3 active domains); qemu+tcp://down2/system: unreachable (no route)")
        }
        XCTAssertThrowsError(try choose([try host("qemu:///a")], type: "sev-snp")) { error in
            XCTAssertEqual("\(error)", "no libvirt host can run a sev-snp guest: qemu:///a: no SEV-SNP (libvirt's domain capabilities)")
        }
    }

    func testTheNamedHostIsUsedOrRefused() throws {
        let hosts = [try host("qemu:///a"), try host("qemu+tcp://b/system")]
        XCTAssertEqual(try choose(hosts, requested: "qemu+tcp://b/system"), 1)
        // By the host name its libvirt reports, too.
        XCTAssertEqual(try choose(hosts, requested: "h-19"), 1)
        XCTAssertThrowsError(try choose(hosts, requested: "qemu:///c")) { error in
            XCTAssertEqual("\(error)", "host: 'qemu:///c' is none of sevhostd's libvirt hosts (qemu:///a, qemu+tcp://b/system)")
        }
        // A named host that cannot take it is not swapped for another.
        XCTAssertThrowsError(try choose([try host("qemu:///a"), try host("qemu:///b", active: 2)], requested: "qemu:///b")) { error in
            XCTAssertEqual("\(error)", "host: cannot run a sev guest: qemu:///b: no free SEV ASID (2 in all, 2 active domains)")
        }
    }
}
