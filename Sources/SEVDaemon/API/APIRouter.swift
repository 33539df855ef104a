import Foundation
import Hummingbird
import Logging
import Orchestration

/// The API's routes, registered from `DaemonRoute.allCases`, so the server answers exactly
/// the table the client and docs/openapi.yaml are checked against.
struct APIRouter {
    let supervisor: VMSupervisor
    let metrics: DaemonMetrics

    /// The longest request body taken (a spec with an ID block and auth is a few KiB).
    static let maximumBody = 1 << 20
    /// The longest `wait` for start, stop and event polls.
    static let maximumStartWait: Duration = .seconds(120)

    func router(access: AccessPolicy, logger: Logger) -> Router<DaemonRequestContext> {
        let router = Router(context: DaemonRequestContext.self)
        router.add(middleware: PeerCheckMiddleware(access: access, metrics: metrics, logger: logger))
        router.add(middleware: UnroutedRequestMiddleware())
        for route in DaemonRoute.allCases {
            let method = HTTPRequest.Method(route.method)!
            router.on(RouterPath(route.pathTemplate), method: method) { request, context in
                try await self.handle(route, request: request, context: context)
            }
        }
        return router
    }

    private func handle(_ route: DaemonRoute, request: Request, context: DaemonRequestContext) async throws -> Response {
        let query = Query(request)
        func name() throws -> String { try context.parameters.require("name") }
        switch route {
        case .health:
            return JSONResponse.make(try await supervisor.health())
        case .listVMs:
            return JSONResponse.make(VMList(vms: try await supervisor.list()))
        case .createVM:
            let body = try await decode(CreateVMRequest.self, from: request)
            return JSONResponse.make(try await supervisor.create(body), status: .created)
        case .showVM:
            return JSONResponse.make(try await supervisor.info(try name()))
        case .destroyVM:
            try await supervisor.destroy(try name(), force: try query.flag("force"))
            return Response(status: .noContent)
        case .startVM:
            let vm = try name()
            let wait = try query.flag("wait")
            var info = try await supervisor.start(vm)
            if wait {
                info = try await waitFor(vm) { $0 != .starting }
                return JSONResponse.make(info)
            }
            return JSONResponse.make(info, status: .accepted)
        case .stopVM:
            let vm = try name()
            let wait = try query.flag("wait")
            var info = try await supervisor.stop(vm, force: try query.flag("force"))
            if wait {
                info = try await waitFor(vm) { !$0.hasProcess }
                return JSONResponse.make(info)
            }
            return JSONResponse.make(info, status: .accepted)
        case .measurement:
            let bundle = try await supervisor.measurement(try name())
            return JSONResponse.raw(Array(bundle.utf8))
        case .expect:
            return JSONResponse.make(try await supervisor.expect(try name()))
        case .inject:
            let body = try await decode(InjectRequest.self, from: request)
            return JSONResponse.make(try await supervisor.inject(try name(), body))
        case .vmEvents:
            let vm = try name()
            _ = try await supervisor.info(vm)
            return JSONResponse.make(try await events(vm: vm, query: query))
        case .events:
            return JSONResponse.make(try await events(vm: nil, query: query))
        case .logs:
            let lines = try query.integer("lines", in: 1...10_000) ?? 100
            let text = try await supervisor.logs(try name(), lines: lines).map { $0 + "\n" }.joined()
            return JSONResponse.raw(Array(text.utf8), contentType: "text/plain; charset=utf-8")
        case .metrics:
            let states = try await supervisor.list().map(\.state)
            return JSONResponse.raw(metrics.render(vms: states), contentType: "text/plain; version=0.0.4")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maximumBody)
        } catch {
            throw DaemonError.invalidRequest("the request body is larger than \(Self.maximumBody) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw DaemonError.invalidRequest("the request body lacks '\(key.stringValue)'")
        } catch {
            throw DaemonError.invalidRequest("the request body is not a JSON \(T.self)")
        }
    }

    /// Polls until `done` holds for the VM's state (or it is gone), for at most two minutes.
    private func waitFor(_ name: String, until done: @Sendable (VMState) -> Bool) async throws -> VMInfo {
        let deadline = ContinuousClock.now + Self.maximumStartWait
        while true {
            let info = try await supervisor.info(name)
            if done(info.state) || ContinuousClock.now >= deadline { return info }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Events after `after`; with `wait`, held until there is one or the wait is over.
    private func events(vm: String?, query: Query) async throws -> VMEventList {
        let after = try query.integer("after", in: 0...Int.max).map(Int64.init) ?? 0
        let wait = try query.integer("wait", in: 0...60) ?? 0
        let deadline = ContinuousClock.now + .seconds(wait)
        while true {
            let (events, last) = try await supervisor.events(vm: vm, after: after)
            if !events.isEmpty || ContinuousClock.now >= deadline {
                return VMEventList(events: events, last: last)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Query parameters, checked: a value that is not what the API documents is a 400, not ignored.
struct Query {
    let parameters: [String: String]

    init(_ request: Request) {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
        self.parameters = parameters
    }

    func flag(_ key: String) throws(DaemonError) -> Bool {
        switch parameters[key] {
        case nil, "false", "0": false
        case "true", "1", "": true
        case let other?: throw .invalidRequest("query parameter \(key)=\(other): expected true or false")
        }
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(DaemonError) -> Int? {
        guard let text = parameters[key] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidRequest("query parameter \(key)=\(text): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
