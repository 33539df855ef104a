/// The examples at the end of every command's help (sevhost(1), CONVENTIONS: each command
/// shows at least one), in one layout: `Examples:`, then each command line indented. The
/// generated man pages carry them too, since they come from the same help.
/// `CommandConventionsTests` checks that every command has them and that each one parses.
enum CommandExamples {
    static func text(_ lines: String...) -> String {
        "Examples:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }
}
