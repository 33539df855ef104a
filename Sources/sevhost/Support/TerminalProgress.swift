import Foundation
import SEVKit

/// A line on standard error that counts the seconds of a wait, for waits a person watches:
/// shown only when standard error is a terminal (TERM not `dumb`, no `-q`: see
/// `OutputPolicy.showsProgress`), only once the wait has lasted a second, rewritten in place and
/// erased when the wait ends. In a pipe or a log nothing is written, so scripts see only the
/// command's own messages.
///
/// The seconds are counted on a thread of the line's own, not a task: the waits it shows include
/// hashing (a kernel, an initrd, a firmware's pages), which keeps the cooperative threads busy,
/// and a ticker there would not run until the hashing ended. The work may change the text as it
/// goes (`update`, e.g. how many MiB of an initrd are hashed); the line is redrawn on each tick.
final class TerminalProgress: @unchecked Sendable {
    /// Guards every field below and every write of the line, so a tick never lands after the
    /// erase.
    private let lock = NSLock()
    private var message: String
    private var seconds = 0
    private var shown = false
    private var finished = false

    private init(_ message: String) {
        self.message = message
    }

    /// Runs `work` with a progress line saying `message`; `work` gets the line (nil when no
    /// progress is shown) to change its text.
    static func around<T: Sendable, Failure: Error>(
        _ message: String, _ work: (TerminalProgress?) async throws(Failure) -> T
    ) async throws(Failure) -> T {
        let line = start(message)
        defer { line?.finish() }
        return try await work(line)
    }

    /// `around` for work that does not need the line.
    static func around<T: Sendable, Failure: Error>(
        _ message: String, _ work: () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        try await around(message) { (_: TerminalProgress?) async throws(Failure) -> T in try await work() }
    }

    /// A line counting from now, or nil when progress is not shown here.
    private static func start(_ message: String) -> TerminalProgress? {
        guard OutputPolicy.showsProgress else { return nil }
        let line = TerminalProgress(message)
        let ticker = Thread { line.tick() }
        ticker.name = "sevhost progress"
        ticker.start()
        return line
    }

    /// Replaces the text, from the next tick on.
    func update(_ message: String) {
        lock.withLock { self.message = message }
    }

    private func tick() {
        while true {
            Thread.sleep(forTimeInterval: 1)
            let running = lock.withLock {
                guard !finished else { return false }
                seconds += 1
                FileHandle.standardError.write(Data("\r\(TerminalText.line(message)) (\(seconds) s)\u{1B}[K".utf8))
                shown = true
                return true
            }
            if !running { return }
        }
    }

    /// Erases the line if it was shown; no tick writes after this.
    private func finish() {
        lock.withLock {
            finished = true
            if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }
}
