import Foundation
import SEVTestSupport
import XCTest

/// `sevhost qmp SOCKET ACTION` end to end: the built binary against a real QEMU 10.
final class QMPCLITests: XCTestCase {
    private var qemu: QEMUProcess?

    override func tearDown() {
        qemu?.stop()
        qemu = nil
        super.tearDown()
    }

    private func startQEMU() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Peers.sevhost.path) else {
            try Peers.missing("the built sevhost (swift build --build-tests)")
        }
        let started = try QEMUProcess(binary: try Peers.qemu10())
        qemu = started
        return started.socketPath
    }

    func testStatusHumanAndJSON() throws {
        let socket = try startQEMU()
        let human = try Subprocess.sevhost(["qmp", socket, "status"])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertEqual(human.stdout, "status: prelaunch\nrunning: false\n")
        let json = try Subprocess.sevhost(["qmp", socket, "status", "--json"])
        XCTAssertEqual(json.stdout, #"{"running":false,"status":"prelaunch"}"# + "\n")
    }

    func testSEVShowsTheUnionShape() throws {
        let socket = try startQEMU()
        let result = try Subprocess.sevhost(["qmp", socket, "sev"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stdout,
            "enabled: false\napi-major: 0\napi-minor: 0\nbuild-id: 0\nstate: uninit\nsev-type: sev\npolicy: 0x0\nhandle: 0\n")
    }

    func testRefusalIsOneLineOnStderrWithFailureStatus() throws {
        let socket = try startQEMU()
        let result = try Subprocess.sevhost(["qmp", socket, "capabilities"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "sevhost: qmp: query-sev-capabilities: GenericError: KVM not enabled\n")

        let inject = try Subprocess.sevhost(["qmp", socket, "inject", "--packet-header", "AQID", "--secret", "BAUG", "--gpa", "0x800000"])
        XCTAssertEqual(inject.stderr, "sevhost: qmp: sev-inject-launch-secret: GenericError: SEV not enabled for guest\n")
    }

    func testContThenRawStatus() throws {
        let socket = try startQEMU()
        let cont = try Subprocess.sevhost(["qmp", socket, "cont"])
        XCTAssertEqual(cont.stdout, "resumed\n")
        let raw = try Subprocess.sevhost(["qmp", socket, "raw", "query-status"])
        XCTAssertEqual(raw.stdout, #"{"running":true,"status":"running"}"# + "\n")
        let bad = try Subprocess.sevhost(["qmp", socket, "raw", "query-status", "[1]"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "sevhost: qmp: raw: ARGUMENTS-JSON: expected a JSON object, got: [1]\n")
    }

    func testMissingSocketIsOneLine() throws {
        guard FileManager.default.isExecutableFile(atPath: Peers.sevhost.path) else {
            try Peers.missing("the built sevhost (swift build --build-tests)")
        }
        let result = try Subprocess.sevhost(["qmp", "/nonexistent/qmp.sock", "status", "--timeout", "2"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("sevhost: qmp: cannot connect to QMP socket /nonexistent/qmp.sock: "), result.stderr)
        XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1)
    }
}
