import Foundation
import Orchestration
import SEVTestSupport
import XCTest

/// Every `DaemonClient` method against the fake daemon: the request it sends (method, path,
/// query, body) and how it decodes the answer.
final class DaemonClientRouteTests: XCTestCase {
    static let vmJSON = """
        {"name":"web","state":"awaiting-secret","type":"sev","policy":"0x1","pre-attestation":true,\
        "pid":4242,"qmp":"/run/sevhost/web.qmp","measured":true,\
        "created":"2026-11-22T10:00:00Z","updated":"2026-11-22T10:00:05Z"}
        """
    static let vm = VMInfo(
        name: "web", state: .awaitingSecret, reason: nil, type: "sev", policy: "0x1", preAttestation: true,
        pid: 4242, qmp: "/run/sevhost/web.qmp", measured: true,
        created: "2026-11-22T10:00:00Z", updated: "2026-11-22T10:00:05Z")

    /// Runs `body` against a fake daemon that gives every request `answer`, and returns what
    /// the fake received.
    private func exchange<Value: Sendable>(
        _ answer: FakeAnswer, _ body: (DaemonClient) async throws -> Value
    ) async throws -> (value: Value, requests: [RecordedRequest]) {
        let server = try FakeDaemon { _ in answer }
        defer { server.stop() }
        let client = DaemonClient(socketPath: server.path, timeout: .seconds(10))
        let value = try await body(client)
        return (value, server.requests)
    }

    func testHealthSendsAGetWithConnectionClose() async throws {
        let (health, requests) = try await exchange(.json(200, "OK", #"{"status":"ok","version":"0.1.0","vms":3,"active":1}"#)) {
            try await $0.health()
        }
        XCTAssertEqual(health, HealthInfo(status: "ok", version: "0.1.0", vms: 3, active: 1))
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests[0].method, "GET")
        XCTAssertEqual(requests[0].target, "/v1/health")
        XCTAssertEqual(requests[0].headers["connection"], "close")
        XCTAssertEqual(requests[0].headers["host"], "localhost")
        XCTAssertEqual(requests[0].body, [])
    }

    func testListVMs() async throws {
        let second = Self.vmJSON.replacingOccurrences(of: #""name":"web""#, with: #""name":"zeta""#)
            .replacingOccurrences(of: #""pid":4242"#, with: #""pid":null"#)
            .replacingOccurrences(of: #""state":"awaiting-secret""#, with: #""state":"failed","reason":"QEMU exited with status 1\nqemu: no KVM""#)
        let (list, requests) = try await exchange(.json(200, "OK", #"{"vms":[\#(Self.vmJSON),\#(second)]}"#)) {
            try await $0.listVMs()
        }
        var zeta = Self.vm
        zeta.name = "zeta"
        zeta.pid = nil
        zeta.state = .failed
        zeta.reason = "QEMU exited with status 1\nqemu: no KVM"
        XCTAssertEqual(list, VMList(vms: [Self.vm, zeta]))
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms"])
    }

    func testCreateVMPostsTheRequestAsJSON() async throws {
        var defined = Self.vm
        defined.state = .defined
        defined.pid = nil
        defined.measured = false
        let answer = Self.vmJSON.replacingOccurrences(of: #""state":"awaiting-secret""#, with: #""state":"defined""#)
            .replacingOccurrences(of: #""pid":4242"#, with: #""pid":null"#)
            .replacingOccurrences(of: #""measured":true"#, with: #""measured":false"#)
        let sent = CreateVMRequest(spec: "{\"name\": \"web\"}\n", file: "specs/web.yaml")
        let (info, requests) = try await exchange(.json(201, "Created", answer)) { try await $0.createVM(sent) }
        XCTAssertEqual(info, defined)
        XCTAssertEqual(requests[0].method, "POST")
        XCTAssertEqual(requests[0].target, "/v1/vms")
        XCTAssertEqual(requests[0].headers["content-type"], "application/json")
        XCTAssertEqual(String(decoding: requests[0].body, as: UTF8.self), #"{"file":"specs/web.yaml","spec":"{\"name\": \"web\"}\n"}"#)
        XCTAssertEqual(try JSONDecoder().decode(CreateVMRequest.self, from: Data(requests[0].body)), sent)
    }

    func testShowVM() async throws {
        let (info, requests) = try await exchange(.json(200, "OK", Self.vmJSON)) { try await $0.showVM("web") }
        XCTAssertEqual(info, Self.vm)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms/web"])
    }

    func testNamesThatAreNotNamesAreEscapedNotRouted() async throws {
        let (_, requests) = try await exchange(.json(200, "OK", Self.vmJSON)) { try await $0.showVM("a b/../c?d") }
        XCTAssertEqual(requests.map(\.target), ["/v1/vms/a%20b%2F..%2Fc%3Fd"])
    }

    func testDestroyVMWithAndWithoutForce() async throws {
        let (_, plain) = try await exchange(.http(status: 204, reason: "No Content", contentType: "text/plain", body: [])) {
            try await $0.destroyVM("web")
        }
        XCTAssertEqual(plain.map { "\($0.method) \($0.target)" }, ["DELETE /v1/vms/web"])
        let (_, forced) = try await exchange(.http(status: 204, reason: "No Content", contentType: "text/plain", body: [])) {
            try await $0.destroyVM("web", force: true)
        }
        XCTAssertEqual(forced.map { "\($0.method) \($0.target)" }, ["DELETE /v1/vms/web?force=true"])
    }

    func testStartVM() async throws {
        let (waited, requests) = try await exchange(.json(200, "OK", Self.vmJSON)) { try await $0.startVM("web", wait: true) }
        XCTAssertEqual(waited, Self.vm)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["POST /v1/vms/web/start?wait=true"])
        XCTAssertEqual(requests[0].headers["content-length"], "0")

        let starting = Self.vmJSON.replacingOccurrences(of: #""state":"awaiting-secret""#, with: #""state":"starting""#)
        let (info, noWait) = try await exchange(.json(202, "Accepted", starting)) { try await $0.startVM("web") }
        XCTAssertEqual(info.state, .starting)
        XCTAssertEqual(noWait.map(\.target), ["/v1/vms/web/start"])
    }

    func testStopVMQueries() async throws {
        let stopped = Self.vmJSON.replacingOccurrences(of: #""state":"awaiting-secret""#, with: #""state":"stopped""#)
        let (info, requests) = try await exchange(.json(200, "OK", stopped)) { client in
            let info = try await client.stopVM("web", force: true, wait: true)
            _ = try await client.stopVM("web")
            _ = try await client.stopVM("web", wait: true)
            return info
        }
        XCTAssertEqual(info.state, .stopped)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, [
            "POST /v1/vms/web/stop?force=true&wait=true", "POST /v1/vms/web/stop", "POST /v1/vms/web/stop?wait=true",
        ])
    }

    func testMeasurementDecodesTheBundle() async throws {
        let bundle = AttestationBundle(
            format: AttestationBundle.formatName, measurement: Data(repeating: 7, count: 48).base64EncodedString(),
            apiMajor: 0, apiMinor: 24, buildID: 15, policy: "0x1", state: "launch-secret",
            pdh: "UERI", certChain: "Q0hBSU4=", cpu0ID: nil)
        let (fetched, requests) = try await exchange(.http(status: 200, reason: "OK", contentType: "application/json", body: bundle.json)) {
            try await $0.measurement("web")
        }
        XCTAssertEqual(fetched, bundle)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms/web/measurement"])
    }

    func testMeasurementOfAnotherFormatIsMalformed() async throws {
        let text = #"{"format":"other/2","measurement":"","api-major":0,"api-minor":0,"build-id":0,"policy":"0x0","state":"x","pdh":"","cert-chain":""}"#
        do {
            _ = try await exchange(.json(200, "OK", text)) { try await $0.measurement("web") }
            XCTFail("accepted a bundle of another format")
        } catch let error as DaemonClientError {
            XCTAssertEqual(error, .malformedResponse(
                request: "GET /v1/vms/web/measurement", problem: "bundle format 'other/2', expected 'sevhost-attestation-bundle/1'"))
        }
    }

    func testExpectDecodesTheExpectation() async throws {
        let text = #"{"author-key-digest":"\#(String(repeating: "00", count: 48))","author-key-enabled":false,"family-id":"\#(String(repeating: "01", count: 16))","format":"sevhost-snp-expectation/1","guest-svn":2,"host-data":"\#(String(repeating: "00", count: 32))","id-key-digest":"\#(String(repeating: "ab", count: 48))","image-id":"\#(String(repeating: "02", count: 16))","measurement":"\#(String(repeating: "cd", count: 48))","name":"web","policy":"0x30000","vmpl":0}"#
        let (fetched, requests) = try await exchange(.json(200, "OK", text)) { try await $0.expect("web") }
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms/web/expect"])
        XCTAssertEqual(fetched.measurement, String(repeating: "cd", count: 48))
        XCTAssertEqual(fetched.guestSVN, 2)
        let expectation = try fetched.expectation()
        XCTAssertEqual(expectation.policy.rawValue, 0x30000)
        XCTAssertEqual(expectation.idKeyDigest, Array(repeating: 0xab, count: 48))
        XCTAssertEqual(fetched.jsonText, String(decoding: try JSONSerialization.data(
            withJSONObject: try JSONSerialization.jsonObject(with: Data(text.utf8)), options: [.prettyPrinted, .sortedKeys]), as: UTF8.self) + "\n")
        do {
            _ = try await exchange(.json(200, "OK", text.replacingOccurrences(of: "snp-expectation/1", with: "snp-expectation/9"))) {
                try await $0.expect("web")
            }
            XCTFail("accepted an expectation of another format")
        } catch let error as DaemonClientError {
            XCTAssertEqual(error, .malformedResponse(
                request: "GET /v1/vms/web/expect", problem: "format 'sevhost-snp-expectation/9', expected 'sevhost-snp-expectation/1'"))
        }
    }

    func testInjectPostsTheRequest() async throws {
        let running = Self.vmJSON.replacingOccurrences(of: #""state":"awaiting-secret""#, with: #""state":"running""#)
        let sent = InjectRequest(header: "SEVBREVS", payload: "UEFZTE9BRA==", measurement: "TUVBUw==", gpa: 0x80_0000)
        let (info, requests) = try await exchange(.json(200, "OK", running)) { try await $0.inject("web", sent) }
        XCTAssertEqual(info.state, .running)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["POST /v1/vms/web/inject"])
        XCTAssertEqual(
            String(decoding: requests[0].body, as: UTF8.self),
            #"{"gpa":8388608,"header":"SEVBREVS","measurement":"TUVBUw==","payload":"UEFZTE9BRA=="}"#)
        XCTAssertEqual(try JSONDecoder().decode(InjectRequest.self, from: Data(requests[0].body)), sent)
    }

    func testEventsOfOneVMAndOfAll() async throws {
        let text = """
            {"events":[{"seq":6,"vm":"web","time":"2026-11-22T10:00:01.000Z","kind":"state","state":"starting","message":"start"},\
            {"seq":9,"vm":"web","time":"2026-11-22T10:00:02.500Z","kind":"qmp","message":"STOP"}],"last":11}
            """
        let (list, requests) = try await exchange(.json(200, "OK", text)) { client in
            let list = try await client.events(of: "web", after: 5, wait: 1)
            _ = try await client.events(of: "web")
            _ = try await client.events(after: 11)
            _ = try await client.events(after: 0, wait: 0)
            return list
        }
        XCTAssertEqual(list, VMEventList(events: [
            VMEvent(seq: 6, vm: "web", time: "2026-11-22T10:00:01.000Z", kind: "state", state: .starting, message: "start"),
            VMEvent(seq: 9, vm: "web", time: "2026-11-22T10:00:02.500Z", kind: "qmp", state: nil, message: "STOP"),
        ], last: 11))
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, [
            "GET /v1/vms/web/events?after=5&wait=1", "GET /v1/vms/web/events", "GET /v1/events?after=11", "GET /v1/events?wait=0",
        ])
    }

    func testLogsAndMetricsAreText() async throws {
        let log = "qemu-system-x86_64: warning: host doesn't support requested feature\nline two\n"
        let (text, requests) = try await exchange(.text(log)) { client in
            let text = try await client.logs("web", lines: 20)
            _ = try await client.logs("web")
            return text
        }
        XCTAssertEqual(text, log)
        XCTAssertEqual(requests.map { "\($0.method) \($0.target)" }, ["GET /v1/vms/web/logs?lines=20", "GET /v1/vms/web/logs"])

        let exposition = "# TYPE sevhostd_vms gauge\nsevhostd_vms 3\n"
        let (metrics, metricRequests) = try await exchange(.text(exposition, contentType: "text/plain; version=0.0.4")) {
            try await $0.metrics()
        }
        XCTAssertEqual(metrics, exposition)
        XCTAssertEqual(metricRequests.map { "\($0.method) \($0.target)" }, ["GET /metrics"])
    }

    /// The client only calls routes of the table (one method per route, checked by name).
    func testEveryRouteHasAMethodThatUsesIt() async throws {
        let server = try FakeDaemon { request in
            switch request.path {
            case "/v1/health": .json(200, "OK", #"{"status":"ok","version":"0","vms":0,"active":0}"#)
            case "/v1/vms" where request.method == "GET": .json(200, "OK", #"{"vms":[]}"#)
            case "/v1/vms/web/measurement":
                .json(200, "OK", #"{"format":"sevhost-attestation-bundle/1","measurement":"","api-major":0,"api-minor":0,"build-id":0,"policy":"0x0","state":"x","pdh":"","cert-chain":""}"#)
            case "/v1/vms/web/expect":
                .json(200, "OK", #"{"format":"sevhost-snp-expectation/1","name":"web","measurement":"","policy":"0x0","host-data":"","id-key-digest":"","author-key-digest":"","author-key-enabled":false,"family-id":"","image-id":"","guest-svn":0,"vmpl":0}"#)
            case "/v1/vms/web/events", "/v1/events": .json(200, "OK", #"{"events":[],"last":0}"#)
            case "/v1/vms/web/logs", "/metrics": .text("")
            case "/v1/vms/web" where request.method == "DELETE": .http(status: 204, reason: "No Content", contentType: "text/plain", body: [])
            default: .json(200, "OK", Self.vmJSON)
            }
        }
        defer { server.stop() }
        let client = DaemonClient(socketPath: server.path, timeout: .seconds(10))
        _ = try await client.health()
        _ = try await client.listVMs()
        _ = try await client.createVM(CreateVMRequest(spec: "{}"))
        _ = try await client.showVM("web")
        try await client.destroyVM("web")
        _ = try await client.startVM("web")
        _ = try await client.stopVM("web")
        _ = try await client.measurement("web")
        _ = try await client.expect("web")
        _ = try await client.inject("web", InjectRequest(header: "", payload: ""))
        _ = try await client.events(of: "web")
        _ = try await client.logs("web")
        _ = try await client.events()
        _ = try await client.metrics()
        let used = server.requests.map { request in
            let template = request.path.replacingOccurrences(of: "/web", with: "/{name}")
            return "\(request.method) \(template)"
        }
        XCTAssertEqual(used, DaemonRoute.allCases.map(\.rawValue))
    }

    func testSocketPathFromTheEnvironment() {
        XCTAssertEqual(DaemonClient.socketPath(environment: [:]), "/run/sevhost/sevhostd.sock")
        XCTAssertEqual(DaemonClient.socketPath(environment: ["SEVHOST_DAEMON": ""]), "/run/sevhost/sevhostd.sock")
        XCTAssertEqual(DaemonClient.socketPath(environment: ["SEVHOST_DAEMON": "/tmp/d.sock"]), "/tmp/d.sock")
    }
}
