import Foundation

/// Remembers what the live host answered, so that one `sevhost ok` asks each question once.
///
/// Several checks read the same answer (four read PLATFORM_STATUS, five SNP_PLATFORM_STATUS,
/// two QEMU's version); live, each would otherwise be another ioctl or another `qemu --version`
/// process. Answers are computed on first use, so commands that never ask pay nothing.
final class LiveAnswerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: Any] = [:]

    /// The answer stored under `key`, computing it with `make` the first time.
    func value<T>(_ key: String, _ make: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        if let cached = answers[key] as? T { return cached }
        let value = make()
        answers[key] = value
        return value
    }
}
