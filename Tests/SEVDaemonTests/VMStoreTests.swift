import Foundation
import Orchestration
import XCTest

@testable import SEVDaemon

final class VMStoreTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        var template = Array("/tmp/sevhostd-store-XXXXXX".utf8CString)
        directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func record(_ name: String, state: VMState = .defined) -> VMRecord {
        VMRecord(
            name: name, spec: "{}", file: "spec.yaml", type: "sev", policy: "0x1", preAttestation: true, state: state,
            reason: nil, pid: nil, qmp: "/run/\(name).qmp", binary: nil, bundle: nil, stopRequested: false,
            dhCert: "GODH", session: "SESSION", created: "2026-11-22T00:00:00.000Z", updated: "2026-11-22T00:00:00.000Z")
    }

    func testTheDatabaseFileIsPrivate() throws {
        let path = directory + "/sevhostd.sqlite"
        _ = try VMStore(path: path)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
    }

    /// What QEMU says reaches the events and the failure reason as one escaped line (finding 7
    /// of issue 17): `vm events`, a log shipper or a terminal never see a raw control character.
    func testEventsAndReasonsQuotingQEMUAreMadeSafe() throws {
        let store = try VMStore(path: directory + "/db.sqlite")
        XCTAssertTrue(try store.insert(record("a")))
        try store.append(vm: "a", kind: "qmp", message: "SHUTDOWN {\"reason\":\"\u{1b}[2J\nstate running\"}")
        try store.update("a", event: ("state", "failed: QEMU said \u{1b}]0;owned\u{7}")) {
            $0.state = .failed
            $0.reason = "last output: \u{9b}31m\nforged"
        }
        XCTAssertEqual(try store.events(vm: "a", after: 1).events.map(\.message), [
            "SHUTDOWN {\"reason\":\"\\x1b[2J\\nstate running\"}", "failed: QEMU said \\x1b]0;owned\\x07",
        ])
        XCTAssertEqual(try store.record("a")?.reason, "last output: \\u{9b}31m\\nforged")
    }

    func testInsertRefusesATakenNameAndRecordsTheDefinition() throws {
        let store = try VMStore(path: directory + "/db.sqlite")
        XCTAssertTrue(try store.insert(record("a")))
        XCTAssertFalse(try store.insert(record("a")))
        let (events, last) = try store.events(vm: "a", after: 0)
        XCTAssertEqual(events.map(\.message), ["defined from spec.yaml"])
        XCTAssertEqual(events.map(\.state), [.defined])
        XCTAssertEqual(last, 1)
    }

    func testAStateChangeAndItsEventAreOneWrite() throws {
        let store = try VMStore(path: directory + "/db.sqlite")
        XCTAssertTrue(try store.insert(record("a")))
        let updated = try XCTUnwrap(try store.update("a", event: ("state", "starting")) { $0.state = .starting; $0.pid = 42 })
        XCTAssertEqual(updated.state, .starting)
        XCTAssertEqual(try store.record("a")?.pid, 42)
        try store.append(vm: "a", kind: "qmp", message: "STOP")
        let events = try store.events(vm: "a", after: 1).events
        XCTAssertEqual(events.map(\.kind), ["state", "qmp"])
        XCTAssertEqual(events.map(\.state), [.starting, nil])
        XCTAssertNil(try store.update("missing") { $0.state = .failed })
    }

    func testSequenceNumbersAreNeverHandedOutTwice() throws {
        let store = try VMStore(path: directory + "/db.sqlite")
        XCTAssertTrue(try store.insert(record("a")))
        XCTAssertTrue(try store.insert(record("b")))
        try store.delete("b")
        XCTAssertNil(try store.record("b"))
        XCTAssertEqual(try store.events(vm: nil, after: 0).last, 2)
        XCTAssertTrue(try store.insert(record("c")))
        XCTAssertEqual(try store.events(vm: "c", after: 0).events.map(\.seq), [3])
    }

    func testEachVMKeepsOnlyItsNewestEvents() throws {
        let store = try VMStore(path: directory + "/db.sqlite", eventHistory: 3)
        XCTAssertTrue(try store.insert(record("a")))  // seq 1
        XCTAssertTrue(try store.insert(record("b")))  // seq 2
        for index in 1...4 { try store.append(vm: "a", kind: "qmp", message: "a\(index)") }  // seq 3...6
        try store.update("b", event: ("state", "starting")) { $0.state = .starting }  // seq 7
        try store.append(vm: "a", kind: "qmp", message: "a5")  // seq 8

        let a = try store.events(vm: "a", after: 0)
        XCTAssertEqual(a.events.map(\.seq), [5, 6, 8])
        XCTAssertEqual(a.events.map(\.message), ["a3", "a4", "a5"])
        XCTAssertEqual(a.last, 8)
        // Another VM's history is not trimmed by a's: b has 2 of its 3.
        XCTAssertEqual(try store.events(vm: "b", after: 0).events.map(\.seq), [2, 7])
        XCTAssertEqual(try store.events(vm: nil, after: 0).events.map(\.seq), [2, 5, 6, 7, 8])
        // Dropped numbers are not handed out again.
        try store.append(vm: "b", kind: "qmp", message: "b1")
        XCTAssertEqual(try store.events(vm: "b", after: 0).events.map(\.seq), [2, 7, 9])
        try store.append(vm: "b", kind: "qmp", message: "b2")
        XCTAssertEqual(try store.events(vm: "b", after: 0).events.map(\.seq), [7, 9, 10])
    }

    func testTheLimitHoldsAcrossReopeningWithASmallerOne() throws {
        let path = directory + "/db.sqlite"
        do {
            let store = try VMStore(path: path)
            XCTAssertTrue(try store.insert(record("a")))
            for index in 1...9 { try store.append(vm: "a", kind: "qmp", message: "e\(index)") }
        }
        let reopened = try VMStore(path: path, eventHistory: 2)
        XCTAssertEqual(try reopened.events(vm: "a", after: 0).events.count, 10)
        try reopened.append(vm: "a", kind: "qmp", message: "e10")
        XCTAssertEqual(try reopened.events(vm: "a", after: 0).events.map(\.message), ["e9", "e10"])
    }

    func testStateSurvivesReopening() throws {
        let path = directory + "/db.sqlite"
        do {
            let store = try VMStore(path: path)
            XCTAssertTrue(try store.insert(record("a")))
            try store.update("a", event: ("state", "measured")) {
                $0.state = .awaitingSecret
                $0.bundle = "{}"
                $0.pid = 7
            }
        }
        let reopened = try VMStore(path: path)
        let found = try XCTUnwrap(try reopened.record("a"))
        XCTAssertEqual(found.state, .awaitingSecret)
        XCTAssertEqual(found.info.pid, 7)
        XCTAssertTrue(found.info.measured)
        XCTAssertEqual(try reopened.all().map(\.name), ["a"])
    }

    func testAVMWithoutAProcessShowsNoPid() {
        var stopped = record("a", state: .stopped)
        stopped.pid = 99
        XCTAssertNil(stopped.info.pid)
    }
}
