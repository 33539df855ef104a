import Foundation
import SEVTestSupport
import XCTest

/// A hostile QEMU's words reach the terminal escaped (finding 7 of issue 17): an error
/// description or a `query-sev` string with escape sequences and a forged line is printed on
/// the line it belongs to, its control characters shown, never obeyed.
final class HostileTextTests: XCTestCase {
    static let hostile = #"\u001b[2J\u001b[H\ninjected: 1 secret(s); guest continued"#
    static let shown = #"\x1b[2J\x1b[H\ninjected: 1 secret(s); guest continued"#

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Peers.sevhost.path) else {
            try Peers.missing("the built sevhost (swift build --build-tests)")
        }
    }

    func testAnErrorDescriptionIsOneEscapedLine() throws {
        let server = try HostileServer { peer in
            guard let request = peer.handshake() else { return }
            peer.send(#"{"error": {"class": "GenericError", "desc": "SEV: Not in correct state"# + Self.hostile + #""}, "id": \#(request.id)}"# + "\n")
            peer.drain()
        }
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("secret").path
        try Data("s".utf8).write(to: URL(fileURLWithPath: secret))
        let key = Data(repeating: 7, count: 16).base64EncodedString()
        let result = try Subprocess.sevhost([
            "attest", "--qmp", server.path, "--tek", key, "--tik", key, "--expect", String(repeating: "00", count: 32),
            "--policy", "0x1", "--secret", "luks-key:" + secret, "--nonce-log", directory.appendingPathComponent("log").path,
        ])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "sevhost: attest: QMP: query-sev: GenericError: SEV: Not in correct state" + Self.shown + "\n")
    }

    func testAReplyStringIsEscapedOnStandardOutput() throws {
        let server = try HostileServer { peer in
            guard let request = peer.handshake() else { return }
            peer.send(#"{"return": {"enabled": true, "api-major": 1, "api-minor": 55, "build-id": 21, "policy": 1, "handle": 1, "state": "launch-secret"# + Self.hostile + #"", "sev-type": "sev"}, "id": \#(request.id)}"# + "\n")
            peer.drain()
        }
        defer { server.stop() }
        let result = try Subprocess.sevhost(["qmp", server.path, "sev"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdoutBytes.contains(0x1b), result.stdout)
        XCTAssertTrue(result.stdout.contains("launch-secret" + Self.shown), result.stdout)
        XCTAssertFalse(result.stdout.split(separator: "\n").contains { $0.hasPrefix("injected:") }, result.stdout)
    }

    /// An answer made for another launch is a refusal (finding 11 of issue 17: it exited 1
    /// where sevhost-attest(1) documents 2), and nothing is injected.
    func testAnAnswerForAnotherLaunchIsARefusalExitingTwo() throws {
        let guest = Data(repeating: 1, count: 48).base64EncodedString()
        let server = try HostileServer { peer in
            guard let sev = peer.handshake() else { return }
            peer.send(#"{"return": {"enabled": true, "api-major": 1, "api-minor": 55, "build-id": 21, "policy": 1, "handle": 1, "state": "launch-secret", "sev-type": "sev"}, "id": \#(sev.id)}"# + "\n")
            guard let measure = peer.readRequest(), measure.command == "query-sev-launch-measure" else { return }
            peer.send(#"{"return": {"data": "\#(guest)"}, "id": \#(measure.id)}"# + "\n")
            // Anything more would be the injection.
            if let request = peer.readRequest() { peer.send(#"{"error": {"class": "GenericError", "desc": "unexpected \#(request.command)"}}"# + "\n") }
        }
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("answer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bundle = directory.appendingPathComponent("bundle.json").path
        try Data("""
            {"format": "sevhost-attestation-bundle/1", "measurement": "\(Data(repeating: 2, count: 48).base64EncodedString())",
             "api-major": 1, "api-minor": 55, "build-id": 21, "policy": "0x1", "state": "launch-secret", "pdh": "AA==", "cert-chain": "AA=="}
            """.utf8).write(to: URL(fileURLWithPath: bundle))
        let answer = directory.appendingPathComponent("answer.txt").path
        try Data("header: \(Data(repeating: 3, count: 52).base64EncodedString())\npayload: \(Data(repeating: 4, count: 64).base64EncodedString())\n".utf8)
            .write(to: URL(fileURLWithPath: answer))
        let result = try Subprocess.sevhost(["attest", "inject", "--qmp", server.path, answer, "--bundle", bundle])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr, "sevhost: attest: refused: the guest's measurement is not the one in the bundle: the answer is for another launch; nothing was injected, the guest stays paused\n")
    }
}
