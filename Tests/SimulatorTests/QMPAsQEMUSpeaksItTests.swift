import Foundation
import SEVTestSupport
import XCTest

/// The same bytes sent to QEMU 10 itself and to sevhost-sim get the same replies: the QMP
/// differences a user found between the old simulator and QEMU, one test each. QEMU runs the
/// spec's machine without its SEV parts (which it cannot run here), under TCG; sevhost-sim runs
/// the spec's SEV guest in front of its own QEMU. Event timestamps are the only bytes that may
/// differ.
final class QMPAsQEMUSpeaksItTests: XCTestCase {
    /// A real QEMU 10 and sevhost-sim side by side, both paused at -S.
    final class SideBySide {
        let harness: SimulatorHarness
        let qemu: Process

        var qemuSocket: String { harness.path("qemu.sock") }
        var simulatorSocket: String { harness.path("qmp.sock") }

        init() throws {
            let binary = try Peers.qemu10()
            harness = try SimulatorHarness()
            let spec = try harness.writeSpec("guest.yaml")
            try harness.launch(spec: spec)
            var arguments = try SimulatorHarness.qemuArguments(spec: spec)
            for (index, argument) in arguments.enumerated() {
                if argument.hasPrefix("q35,") { arguments[index] = "q35" }
                if argument == "kvm" { arguments[index] = "tcg" }
                if argument.hasPrefix("unix:") { arguments[index] = "unix:\(harness.path("qemu.sock")),server=on,wait=off" }
            }
            let object = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-guest,") })
            arguments.removeSubrange(object - 1...object)
            qemu = Process()
            qemu.executableURL = binary
            qemu.arguments = arguments
            qemu.standardInput = FileHandle.nullDevice
            qemu.standardOutput = FileHandle.nullDevice
            qemu.standardError = FileHandle.nullDevice
            try qemu.run()
        }

        func stop() {
            if qemu.isRunning {
                qemu.terminate()
                qemu.waitUntilExit()
            }
            harness.stop()
        }

        /// One connection to each; `exchanges` are (bytes to send, reply lines to read). Returns
        /// what each wrote, greeting first, timestamps blanked.
        func transcripts(_ exchanges: [(String, Int)]) throws -> (qemu: [String], simulator: [String]) {
            func run(_ path: String) throws -> [String] {
                let session = try RawQMPSession(path: path)
                var lines = session.lines(1)
                for (input, count) in exchanges {
                    session.send(input)
                    lines += session.lines(count)
                }
                return lines.map(Self.blankingTimestamps)
            }
            return (try run(qemuSocket), try run(simulatorSocket))
        }

        static func blankingTimestamps(_ line: String) -> String {
            guard let range = line.range(of: #"\{"seconds": \d+, "microseconds": \d+\}"#, options: .regularExpression) else { return line }
            return line.replacingCharacters(in: range, with: #"{"seconds": S, "microseconds": U}"#)
        }
    }

    private var pair: SideBySide!

    override func setUpWithError() throws {
        pair = try SideBySide()
    }

    override func tearDown() {
        pair?.stop()
    }

    private let negotiate = ("{\"execute\":\"qmp_capabilities\"}", 1)

    private func assertSame(_ exchanges: [(String, Int)], expectedLines: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (qemu, simulator) = try pair.transcripts(exchanges)
        XCTAssertEqual(qemu.count, expectedLines, "QEMU wrote \(qemu)", file: file, line: line)
        XCTAssertEqual(simulator, qemu, file: file, line: line)
    }

    func testTheGreetingIsTheFrontedQEMUs() throws {
        let (qemu, simulator) = try pair.transcripts([])
        XCTAssertEqual(simulator, qemu)
        XCTAssertTrue(qemu.first?.hasPrefix(#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}"#) == true, "\(qemu)")
    }

    /// qemu.qmp and qmp-shell send no newline after a command.
    func testACommandWithoutANewlineIsAnswered() throws {
        try assertSame([negotiate, ("{\"execute\":\"query-name\"}", 1)], expectedLines: 3)
    }

    func testTwoCommandsOnOneLineAreBothAnswered() throws {
        try assertSame([negotiate, ("{\"execute\":\"query-status\"}{\"execute\":\"query-version\",\"id\":2}{'execute':'query-name'}\n", 3)], expectedLines: 5)
    }

    func testACommandSplitAcrossWritesIsAnsweredOnce() throws {
        try assertSame([negotiate, ("{\"execute\":\"query-st", 0), ("atus\", \"id\": [1, {\"a\": 2.50}]}", 1)], expectedLines: 3)
    }

    func testQueryCommandsListsQEMUsCommands() throws {
        let (qemu, simulator) = try pair.transcripts([negotiate, ("{\"execute\":\"query-commands\"}", 1)])
        XCTAssertEqual(simulator, qemu)
        XCTAssertTrue(qemu.last?.contains(#"{"name": "query-sev-launch-measure"}"#) == true)
    }

    /// QEMU 10's query-status has no `singlestep`.
    func testQueryStatusHasQEMU10sMembers() throws {
        let (qemu, simulator) = try pair.transcripts([negotiate, ("{\"execute\":\"query-status\"}", 1)])
        XCTAssertEqual(simulator, qemu)
        XCTAssertEqual(qemu.last, "{\"return\": {\"status\": \"prelaunch\", \"running\": false}}\r\n")
    }

    /// Arguments are checked by QEMU's schema, the SEV commands' too.
    func testUnexpectedAndMissingArgumentsAreRefused() throws {
        try assertSame([
            negotiate,
            ("{\"execute\":\"query-status\",\"arguments\":{\"foo\":1}}", 1),
            ("{\"execute\":\"query-sev\",\"arguments\":{\"foo\":1},\"id\":\"a\"}", 1),
            ("{\"execute\":\"query-sev-launch-measure\",\"arguments\":[]}", 1),
            ("{\"execute\":\"sev-inject-launch-secret\",\"arguments\":{\"packet-header\":\"AAAA\"}}", 1),
            ("{\"execute\":\"sev-inject-launch-secret\",\"arguments\":{\"packet-header\":\"AAAA\",\"secret\":\"AAAA\",\"gpa\":\"x\"}}", 1),
            ("{\"execute\":\"query-sev-attestation-report\",\"arguments\":{\"mnonce\":5}}", 1),
        ], expectedLines: 8)
    }

    func testExecOOBWithoutNegotiationIsRefused() throws {
        try assertSame([
            negotiate,
            ("{\"exec-oob\":\"query-status\",\"id\":1}", 1),
            ("{\"exec-oob\":\"query-sev\",\"id\":2}", 1),
        ], expectedLines: 4)
        try assertSame([
            ("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}", 1),
            ("{\"exec-oob\":\"query-sev-launch-measure\",\"id\":3}", 1),
            ("{\"exec-oob\":\"query-sev\"}", 1),
        ], expectedLines: 4)
    }

    /// The errors QEMU words for what it cannot read or run.
    func testErrorsAreWordedAsQEMUWordsThem() throws {
        try assertSame([
            ("{\"execute\":\"query-status\"}", 1),
            ("{\"execute\":\"query-sev\",\"id\":7}", 1),
            negotiate,
            negotiate,
            ("{\"execute\":\"nope\",\"id\":{\"x\":[]}}", 1),
            ("{\"arguments\":{}}", 1),
            ("{\"execute\":1}", 1),
            ("[1,2]", 1),
            ("}", 1),
            ("{\"execute\":\"query-sev\",\"execute\":\"query-sev\"}", 1),
            ("{\"execute\":\"query-sev\" 1}\n", 1),
            ("\"\\q\"{\"execute\":\"query-name\"}", 2),
        ], expectedLines: 14)
    }

    /// RESUME carries no `data`.
    func testResumeIsQEMUsEvent() throws {
        try assertSame([negotiate, ("{\"execute\":\"cont\"}", 2), ("{\"execute\":\"stop\"}", 2)], expectedLines: 6)
    }
}
