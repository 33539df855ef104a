import Foundation

/// Waits until `condition` holds, for at most `seconds`, looking every 50 ms; its last answer.
/// For states another process reaches in its own time (a daemon settling a VM after an event),
/// never to measure how long that takes.
public func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
