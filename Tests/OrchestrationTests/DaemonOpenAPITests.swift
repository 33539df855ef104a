import Foundation
import Orchestration
import SEVTestSupport
import XCTest
import Yams

/// docs/openapi.yaml describes the API the daemon serves and the client calls: exactly the
/// routes of `DaemonRoute`, exactly the error codes of `DaemonErrorCode`, and no dangling
/// references.
final class DaemonOpenAPITests: XCTestCase {
    private func document() throws -> [String: Any] {
        let url = PackageRoot.url.appendingPathComponent("docs/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any], "docs/openapi.yaml is not a mapping")
    }

    private static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    func testTheDocumentIsOpenAPI31() throws {
        XCTAssertEqual(try document()["openapi"] as? String, "3.1.0")
    }

    func testPathsAreExactlyTheRouteTable() throws {
        let paths = try XCTUnwrap(try document()["paths"] as? [String: Any])
        var documented: [String] = []
        for (path, item) in paths {
            let operations = try XCTUnwrap(item as? [String: Any], path)
            for method in Self.methods where operations[method] != nil {
                documented.append("\(method.uppercased()) \(path)")
            }
        }
        XCTAssertEqual(documented.sorted(), DaemonRoute.allCases.map(\.rawValue).sorted())
    }

    func testErrorCodesAreExactlyTheClientsCodes() throws {
        let document = try self.document()
        let components = try XCTUnwrap(document["components"] as? [String: Any])
        let schemas = try XCTUnwrap(components["schemas"] as? [String: Any])
        let code = try XCTUnwrap(schemas["ErrorCode"] as? [String: Any])
        let codes = try XCTUnwrap(code["enum"] as? [String])
        XCTAssertEqual(Set(codes), Set(DaemonErrorCode.allCases.map(\.rawValue)))
        XCTAssertEqual(codes.count, DaemonErrorCode.allCases.count)

        // The description's table gives each code with its status.
        let description = try XCTUnwrap((document["info"] as? [String: Any])?["description"] as? String)
        for code in DaemonErrorCode.allCases {
            let row = description.split(separator: "\n").first { $0.contains("| \(code.rawValue) ") }
            XCTAssertNotNil(row, "no table row for \(code.rawValue)")
            XCTAssertTrue(row?.hasPrefix("| \(code.httpStatus) ") == true, "\(code.rawValue): \(row ?? "")")
        }
    }

    /// Every non-2xx response of every operation carries the Error body, and every
    /// operation documents 403 (any peer may be refused) and 500.
    func testEveryErrorResponseIsTheErrorBody() throws {
        let document = try self.document()
        let components = try XCTUnwrap(document["components"] as? [String: Any])
        let shared = try XCTUnwrap(components["responses"] as? [String: Any])
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        for (path, item) in paths {
            let operations = try XCTUnwrap(item as? [String: Any])
            for method in Self.methods {
                guard let operation = operations[method] as? [String: Any] else { continue }
                let where_ = "\(method.uppercased()) \(path)"
                let responses = try XCTUnwrap(operation["responses"] as? [String: Any], where_)
                XCTAssertNotNil(responses["403"], "\(where_): no 403")
                XCTAssertNotNil(responses["500"], "\(where_): no 500")
                XCTAssertTrue(responses.keys.contains { $0.hasPrefix("2") }, "\(where_): no success response")
                for (status, value) in responses where !status.hasPrefix("2") {
                    var response = try XCTUnwrap(value as? [String: Any], "\(where_) \(status)")
                    if let ref = response["$ref"] as? String {
                        let name = String(ref.split(separator: "/").last!)
                        response = try XCTUnwrap(shared[name] as? [String: Any], "\(where_) \(status): \(ref)")
                    }
                    let content = response["content"] as? [String: Any]
                    let schema = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                    XCTAssertEqual(schema?["$ref"] as? String, "#/components/schemas/Error", "\(where_) \(status)")
                }
            }
        }
    }

    func testEveryReferenceResolves() throws {
        let document = try self.document()
        var references: [String] = []
        func walk(_ value: Any) {
            if let mapping = value as? [String: Any] {
                for (key, child) in mapping {
                    if key == "$ref", let ref = child as? String { references.append(ref) } else { walk(child) }
                }
            } else if let list = value as? [Any] {
                list.forEach(walk)
            }
        }
        walk(document)
        XCTAssertGreaterThan(references.count, 50)
        for ref in Set(references) {
            XCTAssertTrue(ref.hasPrefix("#/"), ref)
            var node: Any? = document
            for part in ref.dropFirst(2).split(separator: "/") {
                node = (node as? [String: Any])?[String(part)]
            }
            XCTAssertNotNil(node, "dangling \(ref)")
        }
    }
}
