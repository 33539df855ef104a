/// `--short`: only failures (with their fixes) and skipped checks, then the counts.
public enum ShortRenderer {
    public static func render(_ report: HostReport, style: ReportStyle) -> String {
        var out = ""
        let failures = report.all.filter { $0.status == .fail }
        let skipped = report.all.filter { $0.status == .skip }
        if !failures.isEmpty {
            out += style.paint("Failures:", .red) + "\n"
            for failure in failures {
                out += "[ \(style.status(.fail)) ] - \(failure.line)\n"
                out += "           fix: \(failure.hint ?? "")\n"
            }
        }
        if !skipped.isEmpty {
            out += "\n\(style.paint("SKIPPED", .yellow)):\n"
            for skip in skipped {
                out += "[ \(style.status(.skip)) ] - \(skip.name)\n"
            }
        }
        out += "\n\(report.countsLine)\n"
        if failures.isEmpty {
            out += style.paint("All tests passed.", .green) + "\n"
        }
        return out
    }
}
