import QMP
import XCTest

/// A QMP server that misbehaves must produce a specific error or timeout, never a hang or a
/// crash. Every wait below is bounded by the client's own short timeout.
final class HostileServerTests: XCTestCase {
    private var servers: [HostileServer] = []

    override func tearDown() {
        for server in servers { server.stop() }
        servers = []
        super.tearDown()
    }

    private func serve(_ script: @escaping @Sendable (HostilePeer) -> Void) throws -> String {
        let server = try HostileServer(script: script)
        servers.append(server)
        return server.path
    }

    private func expectError(
        _ expected: QMPError, file: StaticString = #filePath, line: UInt = #line,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            XCTFail("expected \(expected), got success", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? QMPError, expected, file: file, line: line)
        }
    }

    func testGarbageInsteadOfGreetingIsAMalformedGreeting() async throws {
        let path = try serve { peer in
            peer.send("220 smtp.example.com ESMTP ready\n")
            peer.drain()
        }
        await expectError(.malformedGreeting("220 smtp.example.com ESMTP ready")) {
            _ = try await QMPClient.connect(path: path, timeout: .seconds(2))
        }
    }

    func testJSONThatIsNotAGreetingIsAMalformedGreeting() async throws {
        let path = try serve { peer in
            peer.send(#"{"return": {}}"# + "\n")
            peer.drain()
        }
        await expectError(.malformedGreeting(#"{"return": {}}"#)) {
            _ = try await QMPClient.connect(path: path, timeout: .seconds(2))
        }
    }

    func testSilentServerTimesOutWaitingForTheGreeting() async throws {
        let path = try serve { peer in peer.drain() }
        await expectError(.timedOut(waitingFor: "the QMP greeting", seconds: 0.5)) {
            _ = try await QMPClient.connect(path: path, timeout: .milliseconds(500))
        }
    }

    func testNoServerAtThePathFailsToConnect() async throws {
        let path = "/tmp/sevhost-qmp-no-such-socket-\(getpid())"
        do {
            _ = try await QMPClient.connect(path: path, timeout: .seconds(2))
            XCTFail("connected to nothing")
        } catch {
            guard case .connectionFailed(let failedPath, let reason) = error else {
                return XCTFail("expected connectionFailed, got \(error)")
            }
            XCTAssertEqual(failedPath, path)
            XCTAssertTrue(reason.contains("No such file or directory"), reason)
        }
    }

    /// 64 MiB without a newline: the client stops at its line limit instead of buffering it all.
    func testSixtyFourMiBLineIsRefusedAtTheLimit() async throws {
        let path = try serve { peer in
            guard peer.handshake() != nil else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
            peer.send(#"{"return": {"status": ""#)
            for _ in 0..<64 where peer.send(chunk) {}
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(10))
        await expectError(.lineTooLong(limit: QMPClient.defaultMaximumLineLength)) {
            _ = try await client.queryStatus()
        }
        // The connection is unusable afterwards, and says why.
        await expectError(.lineTooLong(limit: QMPClient.defaultMaximumLineLength)) {
            _ = try await client.queryStatus()
        }
        await client.close()
    }

    func testOverlongGreetingIsRefusedAtTheLimit() async throws {
        let path = try serve { peer in
            peer.send(#"{"QMP": {"version": ""# + String(repeating: "9", count: 70_000))
            peer.drain()
        }
        await expectError(.lineTooLong(limit: 65_536)) {
            _ = try await QMPClient.connect(path: path, timeout: .seconds(5), maximumLineLength: 65_536)
        }
    }

    func testDisconnectMidReplyFailsTheRequest() async throws {
        let path = try serve { peer in
            guard peer.handshake() != nil else { return }
            peer.send(#"{"return": {"status": "runn"#)
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        await expectError(.disconnected(during: "the reply to query-status")) {
            _ = try await client.queryStatus()
        }
        await expectError(.disconnected(during: "the reply to query-status")) {
            try await client.cont()
        }
        await client.close()
    }

    func testServerThatNeverAnswersTimesOut() async throws {
        let path = try serve { peer in
            guard peer.handshake() != nil else { return }
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        await expectError(.timedOut(waitingFor: "the reply to query-sev", seconds: 0.25)) {
            _ = try await client.querySEV(timeout: .milliseconds(250))
        }
        await expectError(.timedOut(waitingFor: "event SHUTDOWN", seconds: 0.25)) {
            _ = try await client.nextEvent(named: ["SHUTDOWN"], timeout: .milliseconds(250))
        }
        await client.close()
        await expectError(.closed) {
            _ = try await client.queryStatus()
        }
    }

    func testNonJSONReplyIsAMalformedMessage() async throws {
        let path = try serve { peer in
            guard peer.handshake() != nil else { return }
            peer.send("<html>bad gateway</html>\n")
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        await expectError(.malformedMessage("<html>bad gateway</html>")) {
            _ = try await client.queryStatus()
        }
        await client.close()
    }

    func testReplyOfTheWrongShapeNamesTheField() async throws {
        let path = try serve { peer in
            guard let request = peer.handshake() else { return }
            peer.send(#"{"return": {"status": "running", "running": "yes"}, "id": \#(request.id)}"# + "\n")
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        await expectError(.malformedReply(command: "query-status", field: "running", expected: "a boolean, found string")) {
            _ = try await client.queryStatus()
        }
        await client.close()
    }

    /// Replies are matched by id, not by order: answer the second request first.
    func testRepliesAreMatchedToRequestsById() async throws {
        let path = try serve { peer in
            guard let first = peer.handshake(), let second = peer.readRequest() else { return }
            let (status, sev) = first.command == "query-status" ? (first, second) : (second, first)
            peer.send(#"{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}}"# + "\n")
            peer.send(
                #"{"return": {"enabled": true, "api-major": 1, "api-minor": 55, "build-id": 21, "state": "launch-secret", "sev-type": "sev-snp", "snp-policy": 196608}, "id": \#(sev.id)}"#
                    + "\n")
            peer.send(#"{"return": {"status": "running", "running": true}, "id": \#(status.id)}"# + "\n")
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        async let status = client.queryStatus()
        async let sev = client.querySEV()
        let (statusReply, sevReply) = try await (status, sev)
        XCTAssertEqual(statusReply, QMPStatus(status: .running, running: true))
        XCTAssertEqual(
            sevReply,
            SEVInfo(enabled: true, apiMajor: 1, apiMinor: 55, buildID: 21, state: .launchSecret, guestType: .sevSNP, guest: .sevSNP(policy: 0x30000)))
        let event = try await client.nextEvent(timeout: .seconds(2))
        XCTAssertEqual(event, QMPEvent(name: "RESUME", seconds: 1, microseconds: 2))
        var iterator = client.events.makeAsyncIterator()
        let streamed = await iterator.next()
        XCTAssertEqual(streamed, QMPEvent(name: "RESUME", seconds: 1, microseconds: 2))
        await client.close()
    }

    /// A request sent while nothing else is in flight carries no id (QEMU reads fewer bytes),
    /// one sent beside another does. Once a request has expired its reply may still come, so
    /// later requests carry ids and that late, id-less reply is not taken for theirs.
    func testLateReplyToAnExpiredRequestIsNotTakenForTheNext() async throws {
        let path = try serve { peer in
            guard let first = peer.handshake(), first.command == "query-sev", first.id == "null",
                let second = peer.readRequest(), second.command == "query-status", second.id != "null"
            else { return }
            peer.send(#"{"error": {"class": "GenericError", "desc": "query-sev, too late"}}"# + "\n")
            peer.send(#"{"return": {"status": "paused", "running": false}, "id": \#(second.id)}"# + "\n")
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        await expectError(.timedOut(waitingFor: "the reply to query-sev", seconds: 0.25)) {
            _ = try await client.querySEV(timeout: .milliseconds(250))
        }
        let status = try await client.queryStatus()
        XCTAssertEqual(status, QMPStatus(status: .paused, running: false))
        await client.close()
    }

    /// QEMU answers a request it cannot parse with an error that has no id.
    func testErrorWithoutIdGoesToTheOnlyRequestInFlight() async throws {
        let path = try serve { peer in
            guard peer.handshake() != nil else { return }
            peer.send(#"{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}"# + "\n")
            peer.drain()
        }
        let client = try await QMPClient.connect(path: path, timeout: .seconds(2))
        await expectError(.command(QMPCommandError(command: "stop", errorClass: "GenericError", message: "JSON parse error, expecting value"))) {
            try await client.stop()
        }
        await client.close()
    }
}
