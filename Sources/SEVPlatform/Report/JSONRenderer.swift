import Foundation

/// `--json`: the report as one JSON document, schema `sevhost-ok/1` (documented in
/// `man/sevhost-ok.1`). Keys are sorted and the layout is fixed, so the output of two hosts
/// can be diffed; fields are only ever added within a schema version.
public enum JSONRenderer {
    public static let schema = "sevhost-ok/1"

    struct Document: Encodable {
        var schema: String
        var ok: Bool
        var host: Host
        var checks: [Check]
        var summary: Summary
    }

    struct Host: Encodable {
        var root: String
        var captured: Bool
        var vendor: String
        var brand: String
        var family: UInt32
        var model: UInt32
        var stepping: UInt32
        var product: String?
        var generation: String
        var generationSource: String

        enum CodingKeys: String, CodingKey {
            case root, captured, vendor, brand, family, model, stepping, product, generation
            case generationSource = "generation-source"
        }
    }

    struct Check: Encodable {
        var id: String
        var name: String
        var status: CheckResult.Status
        var message: String?
        var category: CheckCategory
        var description: String
        var hint: String?
        /// Absent for a leaf check.
        var children: [Check]?

        init(_ result: CheckResult) {
            id = result.id
            name = result.name
            status = result.status
            message = result.message
            category = result.category
            description = result.description
            hint = result.hint
            children = result.children.isEmpty ? nil : result.children.map(Check.init)
        }
    }

    struct Summary: Encodable {
        var total, passed, failed, skipped: Int
    }

    public static func render(_ report: HostReport) -> String {
        let document = Document(
            schema: schema,
            ok: report.ok,
            host: Host(
                root: report.hostRoot, captured: report.captured, vendor: report.vendor, brand: report.brand,
                family: report.signature.family, model: report.signature.model, stepping: report.signature.stepping,
                product: report.product?.rawValue, generation: report.generation.rawValue,
                generationSource: report.generationSource),
            checks: report.results.map(Check.init),
            summary: Summary(total: report.all.count, passed: report.passed, failed: report.failed, skipped: report.skipped))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings, numbers and booleans cannot fail.
        let data = try! encoder.encode(document)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
