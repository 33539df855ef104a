import Foundation
import Orchestration
import SEVTestSupport
import XCTest
import Yams

/// docs/openapi.yaml against a running sevhostd: every route is called (with curl, a client
/// that is not sevhost's), and what comes back must be a response the document lists for that
/// operation, with the documented content type and a body that fits the documented schema;
/// requests no route takes get the document's 404 and 405 bodies.
final class OpenAPILiveTests: XCTestCase {
    private var harness: DaemonHarness!
    private var document: [String: Any] = [:]

    override func setUpWithError() throws {
        harness = try DaemonHarness()
        let text = try String(contentsOf: PackageRoot.url.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        document = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        try harness.startDaemon()
    }

    override func tearDown() {
        harness?.stop()
    }

    private struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    /// One request through curl over the daemon's socket.
    private func call(_ method: String, _ path: String, body: String? = nil) throws -> Answer {
        let headers = harness.path("headers-\(UUID().uuidString.prefix(8))")
        let output = harness.path("body-\(UUID().uuidString.prefix(8))")
        var arguments = ["-sS", "--unix-socket", harness.socket, "-X", method, "-D", headers, "-o", output, "-w", "%{http_code}"]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        arguments.append("http://localhost" + path)
        let result = try Subprocess.run(try Peers.executable("/usr/bin/curl"), arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        var fields: [String: String] = [:]
        for line in try String(contentsOfFile: headers, encoding: .utf8).split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: Int(result.stdout) ?? 0, headers: fields, body: try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    private func resolve(_ node: Any?) -> [String: Any]? {
        guard var mapping = node as? [String: Any] else { return nil }
        while let ref = mapping["$ref"] as? String {
            var target: Any? = document
            for part in ref.dropFirst(2).split(separator: "/") { target = (target as? [String: Any])?[String(part)] }
            guard let next = target as? [String: Any] else { return nil }
            mapping = next
        }
        return mapping
    }

    /// Checks `value` against a schema of the subset the document uses (type, required,
    /// properties, additionalProperties, enum, items, $ref); returns what does not fit.
    private func mismatches(_ value: Any, _ schemaNode: Any?, at path: String) -> [String] {
        guard let schema = resolve(schemaNode) else { return ["\(path): unresolvable schema"] }
        var problems: [String] = []
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty {
            let fits = types.contains { type in
                switch type {
                case "object": value is [String: Any]
                case "array": value is [Any]
                case "string": value is String
                case "integer": value is NSNumber && Int("\(value)") != nil
                case "number": value is NSNumber
                case "boolean": value is Bool
                case "null": value is NSNull
                default: false
                }
            }
            if !fits { problems.append("\(path): \(value) is not \(types)") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): lacks required '\(key)'")
            }
            for (key, child) in object {
                if let property = properties[key] {
                    problems += mismatches(child, property, at: path + "." + key)
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): '\(key)' is not in the schema")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += mismatches(child, additional, at: path + "." + key)
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, child) in array.enumerated() { problems += mismatches(child, items, at: "\(path)[\(index)]") }
        }
        return problems
    }

    /// Checks an answer against a response object of the document: content type and body.
    private func check(_ answer: Answer, against responseNode: Any?, _ what: String) throws {
        let response = try XCTUnwrap(resolve(responseNode), "\(what): \(answer.status) is not documented")
        guard let content = response["content"] as? [String: Any] else {
            XCTAssertTrue(answer.body.isEmpty, "\(what): \(answer.status) has a body the document does not describe")
            return
        }
        // A media type is documented with its parameters (`text/plain; version=0.0.4`) or without.
        let full = answer.headers["content-type"] ?? ""
        let type = full.split(separator: ";").first.map(String.init) ?? ""
        let media = try XCTUnwrap((content[full] ?? content[type]) as? [String: Any], "\(what): content type '\(full)' is not documented for \(answer.status)")
        if type == "application/json" {
            let json = try JSONSerialization.jsonObject(with: answer.body, options: [.fragmentsAllowed])
            XCTAssertEqual(mismatches(json, media["schema"], at: "body"), [], "\(what) \(answer.status)")
            if let error = (json as? [String: Any])?["error"] as? [String: Any], let code = error["code"] as? String {
                XCTAssertEqual(DaemonErrorCode(rawValue: code)?.httpStatus, answer.status, "\(what): code \(code) with status \(answer.status)")
            }
        }
    }

    private func operation(_ route: DaemonRoute) throws -> [String: Any] {
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        let item = try XCTUnwrap(paths[route.pathTemplate] as? [String: Any], route.rawValue)
        return try XCTUnwrap(item[route.method.lowercased()] as? [String: Any], route.rawValue)
    }

    /// Every route, with a VM that exists and one that does not: each answer is one of the
    /// operation's documented responses and fits it.
    func testEveryRouteAnswersAsDocumented() throws {
        let spec = try harness.writeSpec(name: "web")
        XCTAssertEqual(try harness.vm(["create", spec]).status, 0)
        let createBody = String(decoding: try JSONSerialization.data(withJSONObject: [
            "spec": try String(contentsOfFile: spec, encoding: .utf8), "file": spec,
        ]), as: UTF8.self)
        // `host` names a libvirt host: a daemon without --connect has none to choose.
        let hostBody = String(decoding: try JSONSerialization.data(withJSONObject: [
            "spec": try String(contentsOfFile: spec, encoding: .utf8), "file": spec, "host": "qemu:///system",
        ]), as: UTF8.self)
        var seen: Set<String> = []
        for route in DaemonRoute.allCases {
            let responses = try XCTUnwrap(try operation(route)["responses"] as? [String: Any], route.rawValue)
            var requests: [(path: String, body: String?)] = []
            switch route {
            case .createVM: requests = [(route.path(), "{}"), (route.path(), createBody), (route.path(), hostBody)]
            case .inject: requests = [(route.path(name: "nothing"), "{}"), (route.path(name: "web"), "{}")]
            case .destroyVM, .startVM, .stopVM: requests = [(route.path(name: "nothing"), nil)]
            default:
                requests = route.pathTemplate.contains("{name}")
                    ? [(route.path(name: "nothing"), nil), (route.path(name: "web"), nil)] : [(route.path(), nil)]
            }
            for request in requests {
                let answer = try call(route.method, request.path, body: request.body)
                let what = "\(route.method) \(request.path)"
                XCTAssertNotNil(responses["\(answer.status)"], "\(what): \(answer.status) is not documented: \(String(decoding: answer.body, as: UTF8.self))")
                try check(answer, against: responses["\(answer.status)"], what)
                seen.insert("\(route.rawValue) \(answer.status)")
            }
        }
        // The calls reach past the routes' front doors: success, refusal and absence each answer.
        for expected in ["GET /v1/health 200", "POST /v1/vms 400", "GET /v1/vms/{name} 200", "GET /v1/vms/{name} 404",
                         "GET /v1/vms/{name}/measurement 409", "POST /v1/vms/{name}/inject 400", "GET /metrics 200"] {
            XCTAssertTrue(seen.contains(expected), "\(expected) never answered: \(seen.sorted())")
        }
    }

    /// Paths no route has, and routed paths with methods they do not take.
    func testUnroutedRequestsGetTheDocumentedBodies() throws {
        let shared = try XCTUnwrap((document["components"] as? [String: Any])?["responses"] as? [String: Any])
        for (method, path) in [("GET", "/"), ("GET", "/v2/vms"), ("POST", "/v1/vms/web/restart"), ("GET", "/v1/vms/"), ("GET", "/v1/health/x")] {
            let answer = try call(method, path)
            XCTAssertEqual(answer.status, 404, "\(method) \(path)")
            try check(answer, against: shared["NotRouted"], "\(method) \(path)")
            let json = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            XCTAssertEqual((json?["error"] as? [String: Any])?["code"] as? String, "not-found")
        }
        for (method, path, allow) in [("DELETE", "/v1/health", "GET"), ("PUT", "/v1/vms", "GET, POST"),
                                      ("POST", "/v1/vms/web/measurement", "GET"), ("GET", "/v1/vms/web/start", "POST"),
                                      ("PATCH", "/v1/vms/web", "GET, DELETE"), ("POST", "/metrics", "GET")] {
            let answer = try call(method, path)
            XCTAssertEqual(answer.status, 405, "\(method) \(path)")
            XCTAssertEqual(answer.headers["allow"], allow, "\(method) \(path)")
            try check(answer, against: shared["MethodNotAllowed"], "\(method) \(path)")
            let json = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            let error = json?["error"] as? [String: Any]
            XCTAssertEqual(error?["code"] as? String, "method-not-allowed")
            XCTAssertEqual(error?["message"] as? String, "\(path) takes \(allow), not \(method)")
        }
    }

    /// A second daemon on the same state directory refuses to start and names the first.
    func testASecondDaemonOnTheStateDirectoryRefuses() throws {
        let first = try XCTUnwrap(harness.daemon?.processIdentifier)
        let second = try Subprocess.run(DaemonHarness.sevhostd, [
            "--socket", harness.path("second.sock"), "--state-dir", harness.stateDirectory, "--run-dir", harness.path("run2"),
            "--qemu", "/bin/false", "--cbitpos", "51", "--reduced-phys-bits", "1",
        ])
        XCTAssertEqual(second.status, 1)
        XCTAssertEqual(second.stdout, "")
        XCTAssertTrue(second.stderr.contains(
            "\(harness.stateDirectory): in use by sevhostd pid \(first) (it holds sevhostd.pid); one daemon per state directory"),
            second.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.path("second.sock")))
        // The first still answers, and after it is gone (SIGKILL: the lock goes with the process) a new one starts.
        XCTAssertEqual(try call("GET", "/v1/health").status, 200)
        harness.killDaemon()
        try harness.startDaemon()
        XCTAssertEqual(try call("GET", "/v1/health").status, 200)
    }
}
