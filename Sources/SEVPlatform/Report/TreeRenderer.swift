/// The default output: the check tree, one line per check, as `sevctl ok` and `snphost ok`
/// print it (`[ PASS ] - Name: message`, children indented two spaces per level), followed,
/// when something failed, by what to do about each failure.
public enum TreeRenderer {
    static let indent = 2

    public static func render(_ report: HostReport, style: ReportStyle) -> String {
        var out = ""
        func emit(_ results: [CheckResult], level: Int) {
            for result in results {
                out += "[ \(style.status(result.status)) ] \(String(repeating: " ", count: level))- \(result.line)\n"
                emit(result.children, level: level + indent)
            }
        }
        emit(report.results, level: 0)
        let failures = report.all.filter { $0.status == .fail }
        if !failures.isEmpty {
            let headline = "\(failures.count) of \(report.all.count) checks failed"
            out += "\n" + style.paint(headline, .red) + " (checking \(report.generation.displayName)); to fix:\n"
            for failure in failures {
                out += "  - \(failure.name): \(failure.hint ?? "")\n"
            }
        }
        return out
    }
}
