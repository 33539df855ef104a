import Foundation

/// How a report is decorated: colour only for a terminal, and never when NO_COLOR is set
/// (https://no-color.org), so piped and captured output is plain text.
public struct ReportStyle: Sendable {
    public var color: Bool

    public init(color: Bool) { self.color = color }

    public static let plain = ReportStyle(color: false)

    /// Colour when standard output is a terminal and NO_COLOR is unset or empty.
    public static func forStandardOutput(environment: [String: String] = ProcessInfo.processInfo.environment) -> ReportStyle {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
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
