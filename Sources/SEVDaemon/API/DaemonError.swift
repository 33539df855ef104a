import Foundation
import Hummingbird
import Orchestration

/// Every refusal the API gives, with its HTTP status and its stable code (see
/// docs/openapi.yaml). Messages are one line for a person and never carry secret bytes.
public enum DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidRequest(String)
    case forbidden(String)
    case notFound(String)
    /// The path exists with other methods only: `allowed` goes into the `Allow` header.
    case methodNotAllowed(String, allowed: [String])
    case exists(String)
    case wrongState(String)
    case refused(String)
    case invalidSpec(String)
    case qemu(String)
    case internalError(String)

    /// The API's code for this refusal; its HTTP status comes with it (`DaemonErrorCode`, the
    /// one table the client and docs/openapi.yaml are checked against).
    public var errorCode: DaemonErrorCode {
        switch self {
        case .invalidRequest: .invalidRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .exists: .exists
        case .wrongState: .wrongState
        case .refused: .refused
        case .invalidSpec: .invalidSpec
        case .qemu: .qemu
        case .internalError: .internal
        }
    }

    public var description: String {
        switch self {
        case .invalidRequest(let m), .forbidden(let m), .notFound(let m), .exists(let m), .wrongState(let m),
             .refused(let m), .invalidSpec(let m), .qemu(let m), .internalError(let m), .methodNotAllowed(let m, _):
            m
        }
    }

    static func noSuchVM(_ name: String) -> DaemonError { .notFound("no VM named '\(name)'") }
}

extension DaemonError: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: errorCode.httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(DaemonErrorBody(code: errorCode.rawValue, message: description), status: status)
        if case .methodNotAllowed(_, let allowed) = self {
            response.headers[.allow] = allowed.joined(separator: ", ")
        }
        return response
    }
}

/// JSON bodies as the API writes them: sorted keys, no escaped slashes, a final newline.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return raw(Array(data) + [0x0a], status: status)
    }

    static func raw(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
