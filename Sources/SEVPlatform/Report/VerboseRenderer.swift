/// `--verbose`: the checks that ran, grouped by category, each with what it tests and, when it
/// failed, what to do; then the list of issues, the skipped checks and the counts.
public enum VerboseRenderer {
    static let detailIndent = String(repeating: " ", count: 11)

    public static func render(_ report: HostReport, style: ReportStyle) -> String {
        var out = "Host: \(report.brand.isEmpty ? report.vendor : report.brand)"
        out += " (family 0x\(String(report.signature.family, radix: 16)), model 0x\(String(report.signature.model, radix: 16))"
        out += report.product.map { ", \($0.rawValue)" } ?? ""
        out += "); checking \(report.generation.displayName)"
        out += report.generationSource == "cpu" ? " (chosen from the CPU)\n" : "\n"
        if report.captured { out += "Captured host: \(report.hostRoot)\n" }

        let ran = report.all.filter { $0.status != .skip }
        for category in CheckCategory.allCases {
            let entries = ran.filter { $0.category == category }
            guard !entries.isEmpty else { continue }
            out += "\n=== \(category.title) ===\n"
            for entry in entries {
                out += "  [ \(style.status(entry.status)) ] \(entry.line)\n"
                out += "\(detailIndent)\(entry.description)\n"
                if entry.status == .fail, let hint = entry.hint {
                    out += "\(detailIndent)\(style.paint("Recommended:", .yellow)) \(hint)\n"
                }
            }
        }

        let failures = report.all.filter { $0.status == .fail }
        if failures.isEmpty {
            out += "\n" + style.paint("No issues detected.", .green) + "\n"
        } else {
            out += "\n" + style.paint("=== DETECTED ISSUES ===", .red) + "\n"
            for (index, failure) in failures.enumerated() {
                out += "  \(index + 1). \(failure.name) [FAIL]\n"
                out += "     \(style.paint("Hint:", .blue)) \(failure.hint ?? "")\n"
            }
        }
        let skipped = report.all.filter { $0.status == .skip }
        if !skipped.isEmpty {
            out += "\n\(style.paint("SKIPPED", .yellow)):\n"
            for skip in skipped {
                out += "[ \(style.status(.skip)) ] - \(skip.name)\n"
            }
        }
        out += "\n\(report.countsLine)\n"
        return out
    }
}
