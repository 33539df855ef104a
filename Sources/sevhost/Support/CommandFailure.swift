import ArgumentParser
import Foundation
import SEVKit

/// Why a command failed, as the one line `sevhost` prints for it: on bad input, a refused check
/// or an error from a lower layer. Every failure of every command is reported through this type
/// and `SEVHost.main`, in one format: `sevhost: MESSAGE` on stderr, exit status `exitCode` (1,
/// or 2 for a refused attestation or injection).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

extension CommandFailure {
    /// The prefix of every line sevhost writes about a failure or a warning.
    static let prefix = "sevhost: "

    /// Writes `line` to stderr with the prefix, as one line: messages quote QEMU, firmware and
    /// files, so a newline or an escape sequence in them is shown escaped, never obeyed.
    static func report(_ line: String) {
        FileHandle.standardError.write(Data((prefix + TerminalText.line(line) + "\n").utf8))
    }

    /// A warning: the command goes on. Silenced by `-q`, as every message that is not an
    /// error is.
    static func warn(_ message: String) {
        guard !OutputPolicy.quiet else { return }
        report("warning: " + message)
    }

    /// Reports `error` and exits. A `CommandFailure` is its own line and exit status; anything
    /// else goes to ArgumentParser, which prints it with the same prefix (`SEVHost._errorPrefix`),
    /// usage lines after a usage error, help and version on stdout.
    static func exit(_ error: any Error) -> Never {
        guard let failure = error as? CommandFailure else {
            let code = SEVHost.exitCode(for: error)
            let text = SEVHost.fullMessage(for: error)
            if code == .success {
                // --help, --version: sevhost's own text, on standard output.
                if !text.isEmpty { Swift.print(text) }
            } else if !text.isEmpty {
                // A usage error is several lines of sevhost's own; an error from below may
                // quote anything, so its lines are made safe like every other.
                FileHandle.standardError.write(Data((TerminalText.lines(text) + "\n").utf8))
            }
            Foundation.exit(code.rawValue)
        }
        report(failure.description)
        Foundation.exit(failure.exitCode)
    }
}
