import Foundation

/// One-line error reporting for commands: `sevhost: <message>` on stderr.
enum StderrReporter {
    static func report(_ message: String) {
        FileHandle.standardError.write(Data("sevhost: \(message)\n".utf8))
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("sevhost: warning: \(message)\n".utf8))
    }
}
