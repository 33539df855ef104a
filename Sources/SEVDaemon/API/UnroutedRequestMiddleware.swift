import Hummingbird
import Orchestration

/// Answers every request that no route of `DaemonRoute` takes, before the router sees it, as
/// docs/openapi.yaml says: a path the API does not have is `404 not-found`, a path it has with
/// a method it does not serve there is `405 method-not-allowed` with an `Allow` header; both
/// with the `Error` body every other refusal has (the router's own fallback is an empty 404).
///
/// The route table is matched here segment by segment (`{name}` takes one non-empty segment),
/// so what the API answers is exactly the table the client and the document are checked against.
struct UnroutedRequestMiddleware: RouterMiddleware {
    typealias Context = DaemonRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let method = request.method.rawValue
        let path = request.uri.path
        let allowed = Self.methods(for: path)
        if allowed.contains(method) { return try await next(request, context) }
        if allowed.isEmpty {
            throw DaemonError.notFound("no route \(Self.shown(path)): the API's paths are in docs/openapi.yaml")
        }
        throw DaemonError.methodNotAllowed(
            "\(Self.shown(path)) takes \(allowed.joined(separator: ", ")), not \(Self.shown(method))", allowed: allowed)
    }

    /// The methods the route table serves at `path`, in the table's order; empty when no route has it.
    static func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var methods: [String] = []
        for route in DaemonRoute.allCases where !methods.contains(route.method) {
            let template = route.pathTemplate.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard template.count == segments.count else { continue }
            let matches = zip(template, segments).allSatisfy { expected, found in
                expected.hasPrefix("{") ? !found.isEmpty : expected == found
            }
            if matches { methods.append(route.method) }
        }
        return methods
    }

    /// A path or method as a message may quote it: at most 200 bytes, printable ASCII, the rest `?`.
    private static func shown(_ text: String) -> String {
        let printable = text.utf8.prefix(200).map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "?" }
        return String(printable) + (text.utf8.count > 200 ? "..." : "")
    }
}
