import Foundation
import SEVTestSupport
import XCTest

/// The fuzz targets' committed inputs, replayed on every test run by the normally built
/// `sevhost-fuzz` (ROBUSTNESS.md): the seeds written for the project and every input that once
/// crashed a target (fuzz/crashes), so a crash fixed once stays fixed. A replay that traps
/// kills the replayer, and the test sees its status.
final class FuzzRegressionTests: XCTestCase {
    func testEveryCommittedSeedAndReproducerRunsThroughItsTarget() throws {
        let replayer = Peers.productsDirectory.appendingPathComponent("sevhost-fuzz")
        guard FileManager.default.isExecutableFile(atPath: replayer.path) else {
            try Peers.missing("sevhost-fuzz at \(replayer.path) (swift build)")
        }
        let list = try Subprocess.run(replayer, ["--list"])
        XCTAssertEqual(list.status, 0)
        let targets = list.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        XCTAssertEqual(targets.count, 12, list.stdout)

        let fuzz = PackageRoot.url.appendingPathComponent("fuzz")
        for kind in ["seeds", "crashes"] {
            let root = fuzz.appendingPathComponent(kind).path
            let named = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            for directory in named.sorted() {
                XCTAssertTrue(targets.contains(directory), "fuzz/\(kind)/\(directory) names no target")
                let inputs = try FileManager.default.contentsOfDirectory(atPath: root + "/" + directory).filter { !$0.hasPrefix(".") }
                guard !inputs.isEmpty else { continue }
                let run = try Subprocess.run(replayer, [directory, root + "/" + directory], environment: ["SWIFT_BACKTRACE": "enable=no"])
                XCTAssertEqual(run.status, 0, "fuzz/\(kind)/\(directory): \(run.stderr)")
                XCTAssertEqual(run.stdout, "\(directory): \(inputs.count) inputs ran\n", "fuzz/\(kind)/\(directory)")
            }
        }
    }
}
