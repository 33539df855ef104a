import Foundation
import Orchestration
import SEVTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// How `DaemonClient` reports every way a request can go wrong.
final class DaemonClientErrorTests: XCTestCase {
    /// The error `body` throws against a fake daemon that answers `answer`.
    private func failure(
        _ answer: FakeAnswer, timeout: Duration = .seconds(10), maximumResponseSize: Int = DaemonClient.defaultMaximumResponseSize,
        _ body: (DaemonClient) async throws -> Void
    ) async throws -> DaemonClientError {
        let server = try FakeDaemon { _ in answer }
        defer { server.stop() }
        let client = DaemonClient(socketPath: server.path, timeout: timeout, maximumResponseSize: maximumResponseSize)
        do {
            try await body(client)
        } catch let error as DaemonClientError {
            return error
        }
        XCTFail("the request succeeded")
        throw CancellationError()
    }

    func testAnErrorBodyBecomesAnAPIError() async throws {
        let error = try await failure(.json(404, "Not Found", #"{"error":{"code":"not-found","message":"no VM named 'web'"}}"#)) {
            _ = try await $0.showVM("web")
        }
        XCTAssertEqual(error, .api(status: 404, code: "not-found", message: "no VM named 'web'"))
        XCTAssertEqual(error.code, .notFound)
        XCTAssertEqual(error.description, "no VM named 'web'")
    }

    func testAnUnknownCodeIsKeptAsText() async throws {
        let error = try await failure(.json(418, "I'm a teapot", #"{"error":{"code":"teapot","message":"short and stout"}}"#)) {
            _ = try await $0.health()
        }
        XCTAssertEqual(error, .api(status: 418, code: "teapot", message: "short and stout"))
        XCTAssertNil(error.code)
    }

    func testEveryCodeMapsToItsTypedCode() async throws {
        for code in DaemonErrorCode.allCases {
            let body = #"{"error":{"code":"\#(code.rawValue)","message":"m"}}"#
            let error = try await failure(.json(code.httpStatus, "X", body)) { _ = try await $0.startVM("web", wait: true) }
            XCTAssertEqual(error, .api(status: code.httpStatus, code: code.rawValue, message: "m"))
            XCTAssertEqual(error.code, code)
        }
    }

    func testAnErrorStatusWithoutAnErrorBodyIsMalformed() async throws {
        let error = try await failure(.http(status: 500, reason: "Internal Server Error", contentType: "text/html", body: Array("<h1>oops</h1>\n".utf8))) {
            _ = try await $0.showVM("web")
        }
        XCTAssertEqual(error, .malformedResponse(
            request: "GET /v1/vms/web", problem: "HTTP 500 Internal Server Error without a sevhostd error body: '<h1>oops</h1>\\n'"))
        XCTAssertEqual(
            error.description,
            "malformed answer from sevhostd to GET /v1/vms/web: HTTP 500 Internal Server Error without a sevhostd error body: '<h1>oops</h1>\\n'")
    }

    func testAnEmptyErrorBodyIsMalformed() async throws {
        let error = try await failure(.http(status: 503, reason: "Service Unavailable", contentType: "text/plain", body: [])) {
            try await $0.destroyVM("web", force: true)
        }
        XCTAssertEqual(error, .malformedResponse(
            request: "DELETE /v1/vms/web", problem: "HTTP 503 Service Unavailable without a sevhostd error body: (empty body)"))
    }

    func testJSONOfTheWrongShapeIsMalformed() async throws {
        let missing = try await failure(.json(200, "OK", #"{"name":"web"}"#)) { _ = try await $0.showVM("web") }
        XCTAssertEqual(missing, .malformedResponse(request: "GET /v1/vms/web", problem: "expected VMInfo JSON: missing 'state'"))

        let notJSON = try await failure(.json(200, "OK", "vms: []")) { _ = try await $0.listVMs() }
        XCTAssertEqual(notJSON, .malformedResponse(request: "GET /v1/vms", problem: "expected VMList JSON: not JSON: 'vms: []'"))

        let badState = try await failure(.json(200, "OK", #"{"events":[{"seq":1,"vm":"a","time":"t","kind":"state","state":"paused","message":""}],"last":1}"#)) {
            _ = try await $0.events()
        }
        guard case .malformedResponse(let request, let problem) = badState else { return XCTFail("\(badState)") }
        XCTAssertEqual(request, "GET /v1/events")
        XCTAssertTrue(problem.hasPrefix("expected VMEventList JSON: 'events[0].state': "), problem)
    }

    func testATruncatedResponseIsMalformed() async throws {
        let raw = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"status\":".utf8)
        let error = try await failure(.raw(raw)) { _ = try await $0.health() }
        XCTAssertEqual(error, .malformedResponse(request: "GET /v1/health", problem: "the connection closed before the response was complete"))
    }

    func testADisconnectWithoutAnAnswerIsMalformed() async throws {
        let error = try await failure(.raw([])) { _ = try await $0.listVMs() }
        XCTAssertEqual(error, .malformedResponse(request: "GET /v1/vms", problem: "the daemon closed the connection without answering"))
    }

    func testSomethingThatIsNotHTTPIsMalformed() async throws {
        let error = try await failure(.raw(Array(#"{"QMP": {"version": {}}}"#.utf8) + [0x0a])) { _ = try await $0.health() }
        guard case .malformedResponse(let request, let problem) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(request, "GET /v1/health")
        XCTAssertTrue(problem.hasPrefix("not an HTTP/1.1 response ("), problem)
    }

    func testAResponseOverTheCapIsRefused() async throws {
        let big = String(repeating: "x", count: 5000)
        let declared = try await failure(.text(big), maximumResponseSize: 4096) { _ = try await $0.logs("web") }
        XCTAssertEqual(declared, .malformedResponse(
            request: "GET /v1/vms/web/logs", problem: "the response is larger than the client's limit of 4096 bytes"))

        // Without a Content-Length, the body is cut off while it arrives.
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
        let streamed = try await failure(.raw(Array(head.utf8) + Array(big.utf8)), maximumResponseSize: 4096) { _ = try await $0.metrics() }
        XCTAssertEqual(streamed, .malformedResponse(
            request: "GET /metrics", problem: "the response is larger than the client's limit of 4096 bytes"))
    }

    func testABodyReadToTheEndOfTheConnectionIsAccepted() async throws {
        let raw = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nline 1\nline 2\n".utf8)
        let server = try FakeDaemon { _ in .raw(raw) }
        defer { server.stop() }
        let text = try await DaemonClient(socketPath: server.path, timeout: .seconds(10)).logs("web")
        XCTAssertEqual(text, "line 1\nline 2\n")
    }

    func testADaemonThatNeverAnswersTimesOut() async throws {
        let error = try await failure(.silence, timeout: .milliseconds(200)) { _ = try await $0.health() }
        XCTAssertEqual(error, .timedOut(request: "GET /v1/health", seconds: 0.2))
        XCTAssertEqual(error.description, "sevhostd did not answer GET /v1/health within 0.2s")
    }

    func testAWaitingRequestGetsTheWaitOnTopOfTheTimeout() async throws {
        // A poll that asks the daemon to hold it for 5 s is not given up after the 0.2 s
        // timeout; the same poll without `wait` is.
        let server = try FakeDaemon { request in
            guard request.query?.contains("wait=5") == true else { return .silence }
            Thread.sleep(forTimeInterval: 0.6)
            return .json(200, "OK", #"{"events":[],"last":4}"#)
        }
        defer { server.stop() }
        let client = DaemonClient(socketPath: server.path, timeout: .milliseconds(200))
        let list = try await client.events(after: 4, wait: 5)
        XCTAssertEqual(list, VMEventList(events: [], last: 4))
        do {
            _ = try await client.events(after: 4)
            XCTFail("a poll without wait outlived the timeout")
        } catch {
            XCTAssertEqual(error, .timedOut(request: "GET /v1/events", seconds: 0.2))
        }
    }

    func testNoSocketCannotConnectNamingThePath() async throws {
        let path = "/tmp/sevhost-no-such-dir-\(getpid())/sevhostd.sock"
        do {
            _ = try await DaemonClient(socketPath: path, timeout: .seconds(5)).listVMs()
            XCTFail("connected to nothing")
        } catch {
            XCTAssertEqual(error, .cannotConnect(path: path, reason: "No such file or directory"))
            XCTAssertEqual(error.description, "cannot reach sevhostd at \(path): No such file or directory")
        }
    }

    func testASocketNobodyListensOnRefusesTheConnection() async throws {
        var template = Array("/tmp/sevhost-dead-daemon-XXXXXX".utf8CString)
        let directory = String(cString: mkdtemp(&template)!)
        let path = directory + "/sevhostd.sock"
        defer {
            unlink(path)
            rmdir(directory)
        }
        // A socket file left behind by a daemon that died.
        close(try UnixSocket.listen(path))
        do {
            _ = try await DaemonClient(socketPath: path, timeout: .seconds(5)).health()
            XCTFail("connected to a dead socket")
        } catch {
            XCTAssertEqual(error, .cannotConnect(path: path, reason: "Connection refused"))
        }
    }
}
