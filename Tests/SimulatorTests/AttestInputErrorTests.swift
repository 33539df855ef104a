import Foundation
import SEVTestSupport
import XCTest

/// Bad input to `sevhost attest` is one line naming the option, before any connection.
final class AttestInputErrorTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> ProcessResult {
        try Subprocess.sevhost(["attest"] + arguments)
    }

    private var keyFile: String {
        get throws {
            let path = NSTemporaryDirectory() + "sevhost-attest-key-\(getpid()).bin"
            try Data(repeating: 1, count: 16).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    func testDigestWithoutPolicy() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", String(repeating: "ab", count: 32), "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: --expect \(String(repeating: "ab", count: 32)): with a launch digest, --policy is needed (or pass the VM spec file)\n")
    }

    func testExpectNeitherSpecNorDigest() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", "no-such-spec.yaml", "--policy", "1", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "sevhost: attest: expected launch: 'no-such-spec.yaml': expected a VM spec file, or a launch digest as 64 hex digits or base64 of 32 bytes\n")
    }

    func testShortTIK() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", "AAAA", "--expect", "x", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "Error: --tik: expected 16 bytes, the base64 text decodes to 3\n")
    }

    func testUnreachableSocket() throws {
        let key = try keyFile
        let result = try run(["--qmp", "/nonexistent.sock", "--tek", key, "--tik", key, "--expect", String(repeating: "ab", count: 32), "--policy", "0x1", "--secret", "luks-key:\(key)"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("sevhost: attest: QMP: cannot connect to QMP socket /nonexistent.sock: "), result.stderr)
        XCTAssertFalse(result.stderr.contains("nothing was injected"), "a transport failure is not a refusal")
    }
}
