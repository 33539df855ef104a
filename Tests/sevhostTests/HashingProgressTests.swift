import Foundation
import SEVTestSupport
import XCTest

/// Commands that hash big images for a predicted measurement (`digest`, `measurement verify
/// --expect`) show a progress line on a terminal once the hashing has lasted a second, erase it,
/// and write nothing of it in a pipe, with `TERM=dumb` or with `-q`; their data is the same
/// either way.
///
/// The inputs are sparse files as large as a kernel may be, so that hashing them lasts seconds
/// here; how long is the machine's business, so the line is required only of a run that lasted
/// well over a second, and forbidden in one that ended within it.
final class HashingProgressTests: XCTestCase {
    static let amdSev = "virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin"

    private var temp: URL!

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("hashing-progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let temp { try? FileManager.default.removeItem(at: temp) }
    }

    /// `digest` over a 64 MiB OVMF-like image (the AmdSev fixture behind zero pages, which its
    /// footer and metadata allow: they are found from the end) and a 1 GiB sparse kernel.
    func testDigestOfBigImagesShowsProgressOnATerminalOnly() throws {
        let ovmf = try bigOVMF()
        let kernel = try sparse("vmlinuz", size: 1 << 30)
        let words = "digest --mode snp --vcpus 2 --vcpu-type EPYC-Milan --ovmf \(ovmf) --kernel \(kernel) --append console=ttyS0"
        let piped = try assertProgress(words, line: "hashing the kernel: ")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr, "", "nothing but the digest in a pipe")
        // sev-snp-measure agrees on the data, so the progress cannot have changed it.
        let peer = try Subprocess.run(Peers.venvTool("sev-snp-measure"), [
            "--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--ovmf", ovmf, "--kernel", kernel, "--append", "console=ttyS0",
        ])
        XCTAssertEqual(peer.status, 0, peer.stderr)
        XCTAssertEqual(piped.stdout.count, 97, piped.stdout)
        XCTAssertEqual(piped.stdout, peer.stdout)
    }

    /// `measurement verify --expect SPEC` hashes the spec's kernel for the launch digest it
    /// predicts; its refusal (a measurement that does not match) is the same with or without
    /// the line.
    func testMeasurementVerifyAgainstASpecWithABigKernelShowsProgressOnATerminalOnly() throws {
        let kernel = try sparse("vmlinuz", size: 1 << 30)
        let spec = temp.appendingPathComponent("guest.json")
        try Data("""
            { "name": "big", "vcpus": 1, "memory": 1024, "firmware": { "path": "\(try TestData.url(Self.amdSev).path)" },
              "kernel": { "path": "\(kernel)", "append": "console=ttyS0" },
              "confidential": { "type": "sev", "policy": "0x1", "kernel-hashes": true } }
            """.utf8).write(to: spec)
        let words = "measurement verify --expect \(spec.path) --api-major 1 --api-minor 55 --build-id 21 "
            + "--tik \(String(repeating: "cd", count: 16)) --measurement \(String(repeating: "00", count: 48))"
        let piped = try assertProgress(words, line: "computing the launch digest of \(spec.path)", status: 1)
        XCTAssertEqual(piped.status, 1)
        XCTAssertEqual(piped.stdout, "")
        XCTAssertTrue(piped.stderr.hasPrefix("sevhost: measurement mismatch: the firmware reported 0000"), piped.stderr)
    }

    // MARK: - Helpers

    /// Runs `words` on a terminal as a person would (first, while the input is not yet cached),
    /// then with TERM=dumb, with -q and in a pipe: the line shows (and is erased) only in the
    /// first, and what is left on the terminal is what the pipe gets, with the terminal's line
    /// ends. Returns the run in a pipe.
    private func assertProgress(_ words: String, line: String, status: Int32 = 0,
                                file: StaticString = #filePath, lineNumber: UInt = #line) throws -> ProcessResult {
        let start = Date()
        let shown = try Subprocess.sevhostOnTerminal(words, environment: ["TERM": "xterm", "NO_COLOR": "1"])
        let elapsed = Date().timeIntervalSince(start)
        let piped = try Subprocess.sevhost(words.split(separator: " ").map(String.init))
        let expected = (piped.stdout + piped.stderr).replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(shown.status, status, shown.stdout, file: file, line: lineNumber)
        let progress = try NSRegularExpression(pattern: "\r[^\r\n]*\u{1B}\\[K")
        let text = shown.stdout
        let all = NSRange(text.startIndex..., in: text)
        let lines = progress.matches(in: text, range: all).map { String(text[Range($0.range, in: text)!]) }
        XCTAssertEqual(progress.stringByReplacingMatches(in: text, range: all, withTemplate: ""), expected,
                       "the data is the same on a terminal", file: file, line: lineNumber)
        if elapsed >= 2 {
            XCTAssertTrue(lines.contains { $0.hasPrefix("\r" + line) && $0.hasSuffix(" (1 s)\u{1B}[K") }, "\(lines)", file: file, line: lineNumber)
            XCTAssertEqual(lines.last, "\r\u{1B}[K", "the line is erased at the end", file: file, line: lineNumber)
        } else if elapsed < 1 {
            XCTAssertEqual(lines, [], "nothing within the first second", file: file, line: lineNumber)
        }
        for (term, extra) in [("dumb", ""), ("xterm", " -q")] {
            let quiet = try Subprocess.sevhostOnTerminal(words + extra, environment: ["TERM": term, "NO_COLOR": "1"])
            XCTAssertEqual(quiet.status, status, file: file, line: lineNumber)
            XCTAssertEqual(quiet.stdout, expected, "TERM=\(term)\(extra): no progress", file: file, line: lineNumber)
        }
        return piped
    }

    /// A sparse file of `size` zero bytes.
    private func sparse(_ name: String, size: Int64) throws -> String {
        let path = temp.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        XCTAssertEqual(truncate(path, off_t(size)), 0)
        return path
    }

    /// The AmdSev fixture preceded by zeros up to 64 MiB, the most a firmware image may be.
    private func bigOVMF() throws -> String {
        let fixture = try TestData.bytes(Self.amdSev)
        let path = try sparse("OVMF.fd", size: Int64(64 << 20 - fixture.count))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(fixture))
        return path
    }
}
