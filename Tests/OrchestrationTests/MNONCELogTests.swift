import Foundation
import Orchestration
import XCTest

/// The replay log is a record (finding 2 of issue 17): a last line without its newline does
/// not swallow the next MNONCE, a log that is not all entries is refused, and a check and its
/// append cannot be split by another attestation.
final class MNONCELogTests: XCTestCase {
    private var directory: String!
    private var path: String { directory + "/mnonce.log" }

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "mnonce-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private let first = [UInt8](repeating: 0x11, count: 16)
    private let second = [UInt8](repeating: 0x22, count: 16)
    private var contents: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// The finding: the last line lacked a newline, the next MNONCE was glued onto it and never
    /// matched again, so a replay of it passed as fresh.
    func testAnEntryAfterALastLineWithoutANewlineIsAnEntryOfItsOwn() throws {
        try Data("11111111111111111111111111111111 2026-01-01T00:00:00Z".utf8).write(to: URL(fileURLWithPath: path))
        let log = MNONCELog(path: path)
        XCTAssertEqual(try log.firstSeen(first), "recorded 2026-01-01T00:00:00Z in \(path)")
        XCTAssertNil(try log.firstSeen(second))
        try log.record(second)
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 3, contents)
        XCTAssertEqual(lines[0], "11111111111111111111111111111111 2026-01-01T00:00:00Z")
        XCTAssertTrue(lines[1].hasPrefix("22222222222222222222222222222222 "), contents)
        XCTAssertEqual(lines[2], "")
        XCTAssertNotNil(try log.firstSeen(second), "the replayed MNONCE is found")
        XCTAssertThrowsError(try log.record(second)) { error in
            guard case .replayedMeasurement(let mnonce, _) = error as? AttestationError else { return XCTFail("\(error)") }
            XCTAssertEqual(mnonce, "22222222222222222222222222222222")
        }
    }

    /// Anything in the log that is not an entry refuses the whole log, naming the line.
    func testALogThatIsNotAllEntriesIsRefused() throws {
        for (text, line) in [
            ("11111111111111111111111111111111 2026-01-01T00:00:00Z\ngarbage\n", 2),
            ("11111111111111111111111111111111 2026-01-01T00:00:00Z\n\n", 2),
            ("1111111111111111111111111111111 2026-01-01T00:00:00Z\n", 1),
            ("11111111111111111111111111111111\n", 1),
            ("1111111111111111", 1),
            (String(repeating: "1", count: 5000) + "\n", 1),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let log = MNONCELog(path: path)
            XCTAssertThrowsError(try log.firstSeen(second)) { error in
                XCTAssertTrue("\(error)".hasPrefix("MNONCE log: \(path):\(line): "), "\(error)")
                XCTAssertTrue("\(error)".hasSuffix("the log is refused rather than read in part"), "\(error)")
            }
            XCTAssertThrowsError(try log.record(second))
            XCTAssertEqual(contents, text, "a refused log is left as it was")
        }
    }

    /// Not a regular file: refused, and nothing blocks on a FIFO.
    func testALogThatIsNotAFileIsRefused() throws {
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        XCTAssertThrowsError(try MNONCELog(path: path).firstSeen(first)) { error in
            XCTAssertEqual("\(error)", "MNONCE log: \(path): not a regular file")
        }
    }

    /// Many attestations recording the same MNONCE at once: exactly one is accepted.
    func testConcurrentRecordsOfOneMNONCEAcceptOne() async throws {
        let log = MNONCELog(path: path)
        let mnonce = first
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { (try? log.record(mnonce)) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(accepted, 1)
        XCTAssertEqual(contents.split(separator: "\n").count, 1)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, 0o600)
    }
}
