import ArgumentParser

/// sevhost-bench: the measurements behind BENCHMARKS.md, kept out of the `sevhost` a user
/// installs. Each mode runs the same library code the shipped commands run.
@main
struct SEVHostBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sevhost-bench",
        abstract: "Benchmarks of sevhost's libraries (see benchmarks/ and BENCHMARKS.md).",
        subcommands: [QMPRoundTrips.self, ReportVerifications.self, SNPReports.self])
}

/// Seconds in `body`, by the monotonic clock.
func measure(_ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    return (clock.now - start) / .seconds(1)
}
