import ArgumentParser
import Foundation
import SEVKit

/// `-q/--quiet`, which every command takes (sevhost(1), CONVENTIONS): standard output keeps
/// the data, standard error keeps the errors, and everything else a command writes for a
/// person (progress, the names of files written, warnings that do not fail the command) is
/// left out. Declared once here; `SEVHost.main` reads it from the parsed command and sets
/// `OutputPolicy.quiet` before the command runs, so no command passes it around.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only data and errors: no progress, notes or warnings.")
    var quiet = false

    /// The options of the `OutputOptions` group in `command`, if it declares one.
    static func of(_ command: any ParsableCommand) -> OutputOptions? {
        for child in Mirror(reflecting: command).children {
            if let group = child.value as? OptionGroup<OutputOptions> { return group.wrappedValue }
        }
        return nil
    }
}

/// Where a command's messages for a person go: standard error, unless `-q` was given.
/// Data (standard output) and errors (`CommandFailure`) never pass through here.
enum OutputPolicy {
    /// Set once by `SEVHost.main` from the parsed `-q`, before the command runs, and only read
    /// after that.
    nonisolated(unsafe) static var quiet = false

    /// A note on standard error (`wrote FILE`, a download's progress), silenced by `-q`. It may
    /// quote a path, a URL or the network, so it is made safe first.
    static func note(_ line: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((TerminalText.line(line) + "\n").utf8))
    }

    /// Whether a wait may be shown as it goes (`TerminalProgress`, hashing progress): standard
    /// error is a terminal, TERM is not `dumb`, and `-q` was not given.
    static var showsProgress: Bool {
        !quiet && isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}
