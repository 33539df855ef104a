import Foundation
import SEVTestSupport
import XCTest

/// `sevhost vm ...` through the built binary, against no daemon and against a fake one that
/// answers canned responses (the real daemon's end-to-end tests live with the daemon).
final class VMCommandTests: XCTestCase {
    static let web = """
        {"name":"web","state":"awaiting-secret","type":"sev","policy":"0x1","pre-attestation":true,\
        "pid":4242,"qmp":"/run/sevhost/web.qmp","measured":true,\
        "created":"2026-11-22T10:00:00Z","updated":"2026-11-22T10:00:05Z"}
        """

    static func web(state: String, extra: String = "") -> String {
        web.replacingOccurrences(of: #""state":"awaiting-secret""#, with: #""state":"\#(state)"\#(extra)"#)
    }

    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-vm-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `sevhost vm ARGS --daemon <fake>` against a fake daemon answering `answer`.
    private func vm(_ arguments: [String], stdin: Data? = nil, answer: @escaping @Sendable (RecordedRequest) -> FakeAnswer) throws -> (ProcessResult, [RecordedRequest]) {
        let server = try FakeDaemon(answer: answer)
        defer { server.stop() }
        let result = try Subprocess.sevhost(["vm"] + arguments + ["--daemon", server.path], stdin: stdin)
        return (result, server.requests)
    }

    // MARK: No daemon

    func testNoDaemonPrintsWhereItLookedAndHow() throws {
        let result = try Subprocess.sevhost(["vm", "list", "--daemon", "/nonexistent.sock"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, """
            sevhost: vm list: cannot reach sevhostd at /nonexistent.sock: No such file or directory \
            (is it running? --daemon or SEVHOST_DAEMON names another socket)

            """)
    }

    func testTheEnvironmentNamesTheSocket() throws {
        let result = try Subprocess.sevhost(["vm", "show", "web"], environment: ["SEVHOST_DAEMON": "/nonexistent-env.sock"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, """
            sevhost: vm show: cannot reach sevhostd at /nonexistent-env.sock: No such file or directory \
            (is it running? --daemon or SEVHOST_DAEMON names another socket)

            """)
    }

    // MARK: create

    func testCreateReportsTheSpecsOwnLineWithoutAskingTheDaemon() throws {
        let spec = directory.appendingPathComponent("bad.yaml")
        try "name: web\nmemory: 2G\nvcpus: two\n".write(to: spec, atomically: true, encoding: .utf8)
        let (result, requests) = try vm(["create", spec.path]) { _ in .json(201, "Created", Self.web) }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "sevhost: vm create: \(spec.path):3: vcpus: expected a whole number\n")
        XCTAssertEqual(requests, [])
    }

    func testCreateSendsTheSpecAsJSONWithAbsolutePaths() throws {
        let specs = directory.appendingPathComponent("specs")
        try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
        let spec = specs.appendingPathComponent("web.yaml")
        try """
            name: web
            vcpus: 1
            memory: 512
            firmware:
              path: OVMF.fd
            disks:
              - path: ../images/web.qcow2
            confidential:
              type: sev
              policy: "0x1"
              pre-attestation: true
              session-file: /etc/owner/session.b64
            """.write(to: spec, atomically: true, encoding: .utf8)
        let defined = Self.web(state: "defined")
        let (result, requests) = try vm(["create", spec.path]) { _ in .json(201, "Created", defined) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "created web (sev, policy 0x1)\n")
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["POST /v1/vms"])
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(requests[0].body)) as? [String: Any])
        XCTAssertEqual(body["file"] as? String, spec.path)
        let sent = try XCTUnwrap(body["spec"] as? String)
        let sentSpec = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sent.utf8)) as? [String: Any])
        XCTAssertEqual((sentSpec["firmware"] as? [String: Any])?["path"] as? String, specs.path + "/OVMF.fd")
        XCTAssertEqual(((sentSpec["disks"] as? [[String: Any]])?.first)?["path"] as? String, specs.path + "/../images/web.qcow2")
        XCTAssertEqual((sentSpec["confidential"] as? [String: Any])?["session-file"] as? String, "/etc/owner/session.b64")
        XCTAssertEqual(sentSpec["memory"] as? String, "512M")
        XCTAssertTrue(sent.hasPrefix("{\n  \"confidential\" : {"), sent)
    }

    func testCreateShowsTheDaemonsSpecError() throws {
        let spec = directory.appendingPathComponent("web.yaml")
        try "name: web\nvcpus: 1\nmemory: 512\nfirmware:\n  path: /f.fd\nconfidential:\n  type: sev\n  policy: nodbgx\n"
            .write(to: spec, atomically: true, encoding: .utf8)
        let message = "\(spec.path):8: confidential.policy: 'nodbgx' is not a policy flag"
        let (result, _) = try vm(["create", spec.path]) { _ in
            .json(422, "Unprocessable Content", #"{"error":{"code":"invalid-spec","message":"\#(message)"}}"#)
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: vm create: \(message)\n")
    }

    // MARK: list, show

    func testListIsAnAlignedTable() throws {
        let other = #"{"name":"a-much-longer-name","state":"defined","type":"sev-snp","policy":"0x30000","pre-attestation":false,"pid":null,"qmp":"/run/sevhost/a.qmp","measured":false,"created":"c","updated":"u"}"#
        let (result, requests) = try vm(["list"]) { _ in .json(200, "OK", #"{"vms":[\#(other),\#(Self.web)]}"#) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            NAME                STATE            TYPE     POLICY   PID
            a-much-longer-name  defined          sev-snp  0x30000  -
            web                 awaiting-secret  sev      0x1      4242

            """)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms"])
    }

    func testListJSON() throws {
        let (result, _) = try vm(["list", "--json"]) { _ in .json(200, "OK", #"{"vms":[]}"#) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "{\n  \"schema\" : \"sevhost-vm-list/1\",\n  \"vms\" : [\n\n  ]\n}\n")
    }

    func testShowPrintsKeyValueLines() throws {
        let failed = Self.web(state: "failed", extra: #","reason":"QEMU exited with status 1\nqemu: SEV: guest firmware too old""#)
            .replacingOccurrences(of: #""pid":4242"#, with: #""pid":null"#)
        let (result, requests) = try vm(["show", "web"]) { _ in .json(200, "OK", failed) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            name: web
            state: failed
            reason: QEMU exited with status 1
              qemu: SEV: guest firmware too old
            type: sev
            policy: 0x1
            pre-attestation: true
            pid: -
            qmp: /run/sevhost/web.qmp
            measured: true
            created: 2026-11-22T10:00:00Z
            updated: 2026-11-22T10:00:05Z

            """)
        XCTAssertEqual(requests.map(\.target), ["/v1/vms/web"])
    }

    func testShowOfAnUnknownVMIsTheDaemonsMessage() throws {
        let (result, _) = try vm(["show", "web"]) { _ in
            .json(404, "Not Found", #"{"error":{"code":"not-found","message":"no VM named 'web'"}}"#)
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: vm show: no VM named 'web'\n")
    }

    // MARK: start, stop, destroy

    func testStartWaitsAndSaysWhatToDoNext() throws {
        let (result, requests) = try vm(["start", "web"]) { _ in .json(200, "OK", Self.web) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "web: awaiting-secret (paused, measured; fetch with: sevhost vm measurement web)\n")
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["POST /v1/vms/web/start?wait=true"])
    }

    func testStartWithoutWaitAndARunningVM() throws {
        let (starting, requests) = try vm(["start", "web", "--no-wait"]) { _ in .json(202, "Accepted", Self.web(state: "starting")) }
        XCTAssertEqual(starting.stdout, "web: starting\n")
        XCTAssertEqual(requests.map(\.target), ["/v1/vms/web/start"])
        let (running, _) = try vm(["start", "web"]) { _ in .json(200, "OK", Self.web(state: "running")) }
        XCTAssertEqual(running.status, 0, running.stderr)
        XCTAssertEqual(running.stdout, "web: running\n")
    }

    func testAFailedStartPrintsTheReasonAndFails() throws {
        let failed = Self.web(state: "failed", extra: #","reason":"QEMU exited with status 1\nqemu-system-x86_64: -object sev-guest: no SEV""#)
        let (result, _) = try vm(["start", "web"]) { _ in .json(200, "OK", failed) }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "sevhost: vm start: web: failed: QEMU exited with status 1\\nqemu-system-x86_64: -object sev-guest: no SEV\n")
    }

    func testARefusedStartNamesTheVM() throws {
        let (result, _) = try vm(["start", "web"]) { _ in
            .json(409, "Conflict", #"{"error":{"code":"wrong-state","message":"already has a QEMU process (running)"}}"#)
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: vm start: web: already has a QEMU process (running)\n")
    }

    func testStopAndDestroy() throws {
        let (stopped, stopRequests) = try vm(["stop", "web", "--force"]) { _ in .json(200, "OK", Self.web(state: "stopped")) }
        XCTAssertEqual(stopped.stdout, "web: stopped\n")
        XCTAssertEqual(stopRequests.map { "\($0.method) \($0.target)" }, ["POST /v1/vms/web/stop?force=true&wait=true"])

        let (stopping, noWait) = try vm(["stop", "web", "--no-wait"]) { _ in .json(202, "Accepted", Self.web(state: "running")) }
        XCTAssertEqual(stopping.stdout, "web: stopping\n")
        XCTAssertEqual(noWait.map(\.target), ["/v1/vms/web/stop"])

        let (destroyed, destroyRequests) = try vm(["destroy", "web", "--force"]) { _ in
            .http(status: 204, reason: "No Content", contentType: "text/plain", body: [])
        }
        XCTAssertEqual(destroyed.status, 0, destroyed.stderr)
        XCTAssertEqual(destroyed.stdout, "destroyed web\n")
        XCTAssertEqual(destroyRequests.map { "\($0.method) \($0.target)" }, ["DELETE /v1/vms/web?force=true"])
    }

    // MARK: measurement, inject

    static let bundle = #"{"api-major":0,"api-minor":24,"build-id":15,"cert-chain":"Q0hBSU4=","format":"sevhost-attestation-bundle/1","measurement":"TUVBU1VSRU1FTlQ=","pdh":"UERI","policy":"0x1","state":"launch-secret"}"#
    static let prettyBundle = """
        {
          "api-major" : 0,
          "api-minor" : 24,
          "build-id" : 15,
          "cert-chain" : "Q0hBSU4=",
          "format" : "sevhost-attestation-bundle/1",
          "measurement" : "TUVBU1VSRU1FTlQ=",
          "pdh" : "UERI",
          "policy" : "0x1",
          "state" : "launch-secret"
        }

        """

    func testMeasurementToStandardOutputAndToAFile() throws {
        let (printed, requests) = try vm(["measurement", "web"]) { _ in .json(200, "OK", Self.bundle) }
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertEqual(printed.stdout, Self.prettyBundle)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms/web/measurement"])

        let out = directory.appendingPathComponent("web.bundle.json")
        let (written, _) = try vm(["measurement", "web", "--out", out.path]) { _ in .json(200, "OK", Self.bundle) }
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(written.stdout, "")
        XCTAssertEqual(written.stderr, "wrote \(out.path)\n")
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), Self.prettyBundle)
    }

    func testMeasurementOfAnUnmeasuredVM() throws {
        let out = directory.appendingPathComponent("none.json")
        let (result, _) = try vm(["measurement", "web", "--out", out.path]) { _ in
            .json(409, "Conflict", #"{"error":{"code":"wrong-state","message":"web has no measurement (state defined)"}}"#)
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: vm measurement: web has no measurement (state defined)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// A 52-byte header and a payload, as `sevhost secret build` prints them.
    private func answerFile() throws -> (path: String, header: String, payload: String) {
        let header = Data((0..<52).map { UInt8($0) }).base64EncodedString()
        let payload = Data(repeating: 0xa5, count: 64).base64EncodedString()
        let url = directory.appendingPathComponent("answer.txt")
        try "header: \(header)\npayload: \(payload)\n".write(to: url, atomically: true, encoding: .utf8)
        return (url.path, header, payload)
    }

    func testInjectSendsTheAnswerAndTheBundlesMeasurement() throws {
        let answer = try answerFile()
        let bundle = directory.appendingPathComponent("b.json")
        try Self.prettyBundle.write(to: bundle, atomically: true, encoding: .utf8)
        let (result, requests) = try vm(["inject", "web", answer.path, "--bundle", bundle.path, "--gpa", "0x800000"]) { _ in
            .json(200, "OK", Self.web(state: "running"))
        }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "web: injected 64-byte secret; running\n")
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["POST /v1/vms/web/inject"])
        XCTAssertEqual(
            String(decoding: requests[0].body, as: UTF8.self),
            #"{"gpa":8388608,"header":"\#(answer.header)","measurement":"TUVBU1VSRU1FTlQ=","payload":"\#(answer.payload)"}"#)
    }

    func testInjectReadsTheAnswerFromStandardInput() throws {
        let answer = try answerFile()
        let text = try Data(contentsOf: URL(fileURLWithPath: answer.path))
        let (result, requests) = try vm(["inject", "web", "-"], stdin: text) { _ in .json(200, "OK", Self.web(state: "running")) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(String(decoding: requests[0].body, as: UTF8.self), #"{"header":"\#(answer.header)","payload":"\#(answer.payload)"}"#)
    }

    func testRefusedInjectionsExitWith2() throws {
        let answer = try answerFile()
        let (refused, _) = try vm(["inject", "web", answer.path]) { _ in
            .json(409, "Conflict", #"{"error":{"code":"refused","message":"the guest's measurement is not the one the answer was made for"}}"#)
        }
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(
            refused.stderr,
            "sevhost: vm inject: web: the guest's measurement is not the one the answer was made for; nothing was injected, the guest stays paused\n")

        let (firmware, _) = try vm(["inject", "web", answer.path]) { _ in
            .json(502, "Bad Gateway", #"{"error":{"code":"qemu","message":"sev-inject-launch-secret: SEV: LAUNCH_SECRET failed"}}"#)
        }
        XCTAssertEqual(firmware.status, 2)
        XCTAssertEqual(firmware.stderr, "sevhost: vm inject: web: sev-inject-launch-secret: SEV: LAUNCH_SECRET failed; the guest stays paused\n")

        let (wrongState, _) = try vm(["inject", "web", answer.path]) { _ in
            .json(409, "Conflict", #"{"error":{"code":"wrong-state","message":"web is running, not awaiting-secret"}}"#)
        }
        XCTAssertEqual(wrongState.status, 1)
        XCTAssertEqual(wrongState.stderr, "sevhost: vm inject: web is running, not awaiting-secret\n")
    }

    func testABadAnswerIsRefusedBeforeAnythingIsSent() throws {
        let bad = directory.appendingPathComponent("bad.txt")
        try "header: AAAA\npayload: AAAA\n".write(to: bad, atomically: true, encoding: .utf8)
        let (result, requests) = try vm(["inject", "web", bad.path]) { _ in .json(200, "OK", Self.web) }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: vm inject: \(bad.path): header: expected 52 bytes, the text decodes to 2 bytes as hex, 3 as base64\n")
        XCTAssertEqual(requests, [])
    }

    // MARK: events, logs

    static let events = """
        {"events":[{"seq":6,"vm":"web","time":"2026-11-22T10:00:01.000Z","kind":"state","state":"starting","message":"start requested"},\
        {"seq":9,"vm":"web","time":"2026-11-22T10:00:02.500Z","kind":"qmp","message":"STOP"},\
        {"seq":10,"vm":"web","time":"2026-11-22T10:00:03.000Z","kind":"state","state":"failed","message":"QEMU exited\\nno KVM"}],"last":12}
        """

    func testEventsOneLineEach() throws {
        let (result, requests) = try vm(["events", "web", "--after", "5"]) { _ in .json(200, "OK", Self.events) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            6 2026-11-22T10:00:01.000Z web state start requested
            9 2026-11-22T10:00:02.500Z web qmp STOP
            10 2026-11-22T10:00:03.000Z web state QEMU exited | no KVM

            """)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms/web/events?after=5"])
    }

    func testEventsAsJSONLines() throws {
        let (result, requests) = try vm(["events", "--json"]) { _ in .json(200, "OK", Self.events) }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            {"kind":"state","message":"start requested","schema":"sevhost-vm-events/1","seq":6,"state":"starting","time":"2026-11-22T10:00:01.000Z","vm":"web"}
            {"kind":"qmp","message":"STOP","schema":"sevhost-vm-events/1","seq":9,"time":"2026-11-22T10:00:02.500Z","vm":"web"}
            {"kind":"state","message":"QEMU exited\\nno KVM","schema":"sevhost-vm-events/1","seq":10,"state":"failed","time":"2026-11-22T10:00:03.000Z","vm":"web"}

            """)
        XCTAssertEqual(requests.map(\.target), ["/v1/events"])
    }

    /// --follow polls with wait=30 after the last event seen; the fake ends the run by
    /// answering the third poll with an error.
    func testFollowPollsAfterTheLastEvent() throws {
        let (result, requests) = try vm(["events", "--follow"]) { request in
            switch request.query {
            case "wait=30": .json(200, "OK", Self.events)
            case "after=10&wait=30": .json(200, "OK", #"{"events":[],"last":14}"#)
            default: .json(500, "Internal Server Error", #"{"error":{"code":"internal","message":"enough"}}"#)
            }
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 3)
        XCTAssertEqual(result.stderr, "sevhost: vm events: enough\n")
        XCTAssertEqual(requests.map(\.target), ["/v1/events?wait=30", "/v1/events?after=10&wait=30", "/v1/events?after=14&wait=30"])
    }

    /// A daemon restart under --follow: the connection is cut, the socket disappears and
    /// comes back; the follower says so once and goes on after the last event it printed.
    func testFollowSurvivesADaemonRestart() throws {
        let path = directory.appendingPathComponent("sevhostd.sock").path
        let first = try FakeDaemon(path: path) { request in
            request.query == "wait=30" ? .json(200, "OK", Self.events) : .raw([])
        }
        final class Box: @unchecked Sendable { var server: FakeDaemon? }
        let second = Box()
        let restarted = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            // Once the follower's second poll was cut off, the "new daemon" takes over.
            while first.requests.count < 2 { usleep(10_000) }
            first.stop()
            // A follower that never finds its daemon again would poll forever: keep trying.
            for _ in 0..<100 where second.server == nil {
                second.server = try? FakeDaemon(path: path) { request in
                    request.query == "after=10&wait=30"
                        ? .json(200, "OK", #"{"events":[{"seq":13,"vm":"web","time":"2026-11-22T10:01:00.000Z","kind":"action","message":"sevhostd started"}],"last":13}"#)
                        : .json(500, "Internal Server Error", #"{"error":{"code":"internal","message":"enough"}}"#)
                }
                if second.server == nil { usleep(100_000) }
            }
            restarted.signal()
        }
        let result = try Subprocess.sevhost(["vm", "events", "--follow", "--daemon", path])
        XCTAssertEqual(restarted.wait(timeout: .now() + 30), .success)
        defer { second.server?.stop() }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, """
            6 2026-11-22T10:00:01.000Z web state start requested
            9 2026-11-22T10:00:02.500Z web qmp STOP
            10 2026-11-22T10:00:03.000Z web state QEMU exited | no KVM
            13 2026-11-22T10:01:00.000Z web action sevhostd started

            """)
        XCTAssertEqual(result.stderr, """
            sevhost: vm events: malformed answer from sevhostd to GET /v1/events: the daemon closed the connection without answering; retrying every second
            sevhost: vm events: enough

            """)
        XCTAssertEqual(first.requests.map(\.target).prefix(2), ["/v1/events?wait=30", "/v1/events?after=10&wait=30"])
        XCTAssertEqual(second.server?.requests.map(\.target), ["/v1/events?after=10&wait=30", "/v1/events?after=13&wait=30"])
    }

    /// Before the daemon ever answered, --follow does not wait for one that may never come.
    func testFollowWithoutADaemonFailsAtOnce() throws {
        let result = try Subprocess.sevhost(["vm", "events", "--follow", "--daemon", "/nonexistent.sock"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, """
            sevhost: vm events: cannot reach sevhostd at /nonexistent.sock: No such file or directory \
            (is it running? --daemon or SEVHOST_DAEMON names another socket)

            """)
    }

    func testLogs() throws {
        let (result, requests) = try vm(["logs", "web", "--lines", "2"]) { _ in .text("qemu: line 1\nqemu: line 2") }
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "qemu: line 1\nqemu: line 2\n")
        XCTAssertEqual(requests.map(\.target), ["/v1/vms/web/logs?lines=2"])
    }

    func testAMalformedAnswerIsOneLine() throws {
        let (result, _) = try vm(["list"]) { _ in
            .http(status: 502, reason: "Bad Gateway", contentType: "text/html", body: Array("<html>proxy</html>".utf8))
        }
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(
            result.stderr,
            "sevhost: vm list: malformed answer from sevhostd to GET /v1/vms: HTTP 502 Bad Gateway without a sevhostd error body: '<html>proxy</html>'\n")
    }
}

/// man/sevhost-vm.1 documents every `vm` subcommand and every option each one takes, as
/// the built binary's help lists them.
final class VMManPageTests: XCTestCase {
    func testTheManPageHasEverySubcommandAndOption() throws {
        let page = try String(contentsOf: PackageRoot.url.appendingPathComponent("man/sevhost-vm.1"), encoding: .utf8)
        let help = try Subprocess.sevhost(["vm", "--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        let section = help.stdout.components(separatedBy: "SUBCOMMANDS:\n").last!.components(separatedBy: "\n\n")[0]
        let listed = section
            .split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.split(separator: " ").first.map(String.init)
            }
            .filter { $0 != "help" }
        XCTAssertEqual(listed, ["create", "list", "show", "start", "stop", "destroy", "measurement", "expect", "inject", "events", "logs"])
        for subcommand in listed {
            XCTAssertTrue(page.contains(".B sevhost vm \(subcommand)\n"), "SYNOPSIS lacks \(subcommand)")
            let usage = try Subprocess.sevhost(["vm", subcommand, "--help"]).stdout
                .split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
            let options = usage.split(separator: " ").compactMap { token -> String? in
                let name = token.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                return name.hasPrefix("--") ? name : nil
            }
            XCTAssertFalse(options.isEmpty, "\(subcommand): no options in \(usage)")
            for option in options {
                XCTAssertTrue(page.contains(option.replacingOccurrences(of: "-", with: "\\-")), "\(subcommand): the man page lacks \(option)")
            }
        }
    }

    /// man/sevhostd.8 documents every option the built daemon takes.
    func testTheDaemonsManPageHasEveryOption() throws {
        let page = try String(contentsOf: PackageRoot.url.appendingPathComponent("man/sevhostd.8"), encoding: .utf8)
        let daemon = Peers.productsDirectory.appendingPathComponent("sevhostd")
        guard FileManager.default.isExecutableFile(atPath: daemon.path) else { try Peers.missing("the built sevhostd") }
        let help = try Subprocess.run(daemon, ["--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        let options = help.stdout.components(separatedBy: "OPTIONS:\n").last!.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  --") else { return nil }
            let option = String(line.dropFirst(2).split(separator: " ")[0])
            return ["--version", "--help"].contains(option) ? nil : option
        }
        XCTAssertGreaterThan(options.count, 10)
        // Each one is an item of the OPTIONS section (roff escapes its dashes).
        let section = try XCTUnwrap(page.components(separatedBy: ".SH OPTIONS\n").dropFirst().first?.components(separatedBy: "\n.SH ").first)
        for option in options {
            XCTAssertTrue(section.contains(option.replacingOccurrences(of: "-", with: "\\-") + " "), "sevhostd(8) OPTIONS lacks \(option)")
        }
    }
}
