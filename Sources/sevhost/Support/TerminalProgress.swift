import Foundation

/// A line on standard error that counts the seconds of a wait, for waits a person watches:
/// shown only when standard error is a terminal (TERM not `dumb`, no `-q`: see
/// `OutputPolicy.showsProgress`), only once the wait has lasted a second, rewritten in place and
/// erased when the wait ends. In a pipe or a log nothing is written, so scripts see only the
/// command's own messages.
enum TerminalProgress {
    static func around<T: Sendable>(_ message: String, _ work: () async throws -> T) async throws -> T {
        guard OutputPolicy.showsProgress else { return try await work() }
        let ticker = Task {
            var seconds = 0
            var shown = false
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                seconds += 1
                FileHandle.standardError.write(Data("\r\(message) (\(seconds) s)".utf8))
                shown = true
            }
            if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
        defer { ticker.cancel() }
        do {
            let result = try await work()
            ticker.cancel()
            await ticker.value
            return result
        } catch {
            ticker.cancel()
            await ticker.value
            throw error
        }
    }
}
