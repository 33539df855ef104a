import Foundation

/// How a report is decorated: colour only for a terminal, and never when NO_COLOR is set to
/// anything but the empty string (https://no-color.org) or TERM is `dumb`, so piped and captured
/// output is plain text. Every sevhost command that colours decides here (sevhost(1), CONVENTIONS).
public struct ReportStyle: Sendable {
    public var color: Bool

    public init(color: Bool) { self.color = color }

    public static let plain = ReportStyle(color: false)

    /// Colour when standard output is a terminal, NO_COLOR is unset or empty and TERM is not `dumb`.
    public static func forStandardOutput(environment: [String: String] = ProcessInfo.processInfo.environment) -> ReportStyle {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty || environment["TERM"] == "dumb"
        return ReportStyle(color: !noColor && isatty(STDOUT_FILENO) == 1)
    }

    enum Color: String {
        case red = "31", green = "32", yellow = "33", blue = "34"
    }

    func paint(_ text: String, _ color: Color) -> String {
        self.color ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    func status(_ status: CheckResult.Status) -> String {
        switch status {
        case .pass: paint("PASS", .green)
        case .fail: paint("FAIL", .red)
        case .skip: paint("SKIP", .yellow)
        }
    }
}

extension CheckResult {
    /// `Name: message`, or `Name` when there is no message.
    var line: String { message.map { "\(name): \($0)" } ?? name }
}

extension HostReport {
    /// `N tests: P passed, F failed, S skipped`.
    var countsLine: String { "\(all.count) tests: \(passed) passed, \(failed) failed, \(skipped) skipped" }
}
