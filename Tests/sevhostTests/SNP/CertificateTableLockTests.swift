import Crypto
import Foundation
import SEVTestSupport
import XCTest

/// The SNP certificate table under the kernel's locking rule (amd-memory-encryption.rst,
/// KVM_SEV_SNP_ENABLE_REQ_CERTS): a VMM (`Tests/Fixtures/vmm_table_lock.py`, Python's own
/// fcntl) holds a shared OFD lock; sevhost waits for it, then replaces the table; readers
/// (`table_reader.py`) never see part of one.
final class CertificateTableLockTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("snp-table-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A directory of stand-in certificates named as snphost names them (the table holds bytes;
    /// DER is all import requires).
    private func certificates(_ name: String, fill: UInt8, size: Int) throws -> String {
        let dir = path(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (index, file) in ["ark.der", "ask.der", "vcek.der"].enumerated() {
            let body = [UInt8](repeating: fill &+ UInt8(index), count: size)
            try Data([0x30, 0x82, UInt8(size >> 8), UInt8(size & 0xff)] + body).write(to: URL(fileURLWithPath: dir + "/" + file))
        }
        return dir
    }

    private func sha(_ file: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: file))).map { String(format: "%02x", $0) }.joined()
    }

    /// A Python helper with a line protocol on stdin/stdout.
    final class Helper {
        let process = Process()
        private let input = Pipe(), output = Pipe()
        private var buffer = Data()

        init(_ script: String, _ arguments: [String]) throws {
            process.executableURL = try Peers.venvTool("python")
            process.arguments = [PackageRoot.url.appendingPathComponent("Tests/Fixtures/\(script)").path] + arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func send(_ line: String) -> String {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
            return readLine()
        }

        func readLine() -> String {
            while !buffer.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
            }
            guard let end = buffer.firstIndex(of: UInt8(ascii: "\n")) else { return "" }
            let line = String(decoding: buffer[buffer.startIndex..<end], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...end)
            return line
        }

        func finish() -> String {
            try? input.fileHandleForWriting.close()
            let rest = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: buffer + rest, as: UTF8.self)
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    private func startSevhost(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = Peers.sevhost
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    func testImportWaitsForTheVMMsSharedLockThenReplacesTheTableWhole() throws {
        let table = path("certs.bin")
        let old = try certificates("old", fill: 0x11, size: 1500)
        XCTAssertEqual(try Subprocess.sevhost(["snp", "certs", "import", old, "--table", table]).status, 0)
        let oldSHA = try sha(table)

        let vmm = try Helper("vmm_table_lock.py", [table])
        defer { _ = vmm.finish() }
        XCTAssertEqual(vmm.send("lock"), "locked \(oldSHA)")
        let reader = try Helper("table_reader.py", [table, "4"])

        let new = try certificates("new", fill: 0x77, size: 3000)
        let (importer, errors) = try startSevhost(["snp", "certs", "import", new, "--table", table])
        defer { if importer.isRunning { kill(importer.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertTrue(importer.isRunning, "import waits while the VMM holds its shared lock")
        XCTAssertEqual(try sha(table), oldSHA, "and has not touched the table")

        XCTAssertEqual(vmm.send("unlock"), "unlocked")
        importer.waitUntilExit()
        XCTAssertEqual(importer.terminationStatus, 0, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        let newSHA = try sha(table)
        XCTAssertNotEqual(newSHA, oldSHA)
        // The VMM's descriptor, opened before the replacement, reads the new table too.
        XCTAssertEqual(vmm.send("read"), "read \(newSHA)")

        let seen = reader.finish().split(separator: "\n").map(String.init)
        XCTAssertEqual(seen.last, "partial 0", seen.joined(separator: "\n"))
        let contents = Set(seen.dropLast().map { String($0.split(separator: " ")[0]) })
        XCTAssertTrue(contents.isSubset(of: [oldSHA, newSHA]), seen.joined(separator: "\n"))
        XCTAssertTrue(contents.contains(newSHA), seen.joined(separator: "\n"))
    }

    /// `snp config set --table` runs SNP_SET_CONFIG only once it holds the lock, then drops the
    /// VCEK entry, issued for the TCB the firmware no longer reports.
    func testConfigSetChangesTheTCBOnlyUnderTheLockAndDropsTheStaleVCEK() throws {
        let table = path("certs.bin")
        let sim = "sim:" + path("fw")
        XCTAssertEqual(try Subprocess.sevhost(["snp", "certs", "import", try certificates("in", fill: 1, size: 100), "--table", table]).status, 0)
        let vmm = try Helper("vmm_table_lock.py", [table])
        defer { _ = vmm.finish() }
        XCTAssertTrue(vmm.send("lock").hasPrefix("locked "))
        let reported = "Reported TCB: bootloader 3, tee 0, snp 14, microcode 209 (0xd10e000000000003)\n"
        XCTAssertTrue(try Subprocess.sevhost(["show", "tcb", "--firmware", sim]).stdout.hasSuffix(reported))

        let (setter, errors) = try startSevhost(["snp", "config", "set", "2", "0", "10", "200", "--firmware", sim, "--table", table])
        defer { if setter.isRunning { kill(setter.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(setter.isRunning)
        XCTAssertTrue(try Subprocess.sevhost(["show", "tcb", "--firmware", sim]).stdout.hasSuffix(reported), "the firmware waits for the lock too")
        XCTAssertEqual(vmm.send("unlock"), "unlocked")
        setter.waitUntilExit()
        XCTAssertEqual(setter.terminationStatus, 0)
        XCTAssertEqual(
            String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            "\(table): removed vcek: issued for the TCB the firmware no longer reports (sevhostd, or snp certs import, puts the current ones in)\n")
        XCTAssertTrue(try Subprocess.sevhost(["show", "tcb", "--firmware", sim]).stdout
            .hasSuffix("Reported TCB: bootloader 2, tee 0, snp 10, microcode 200 (0xc80a000000000002)\n"))
        XCTAssertEqual(try Subprocess.sevhost(["snp", "certs", "export", "--table", table, path("out")]).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), ["ark.der", "ask.der"])
    }

    func testBadTablesAndDirectoriesAreOneLine() throws {
        let garbage = path("garbage.bin")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: garbage))
        let export = try Subprocess.sevhost(["snp", "certs", "export", "--table", garbage, path("x")])
        XCTAssertEqual(export.status, 1)
        XCTAssertEqual(export.stderr.split(separator: "\n").count, 1, export.stderr)
        XCTAssertTrue(export.stderr.hasPrefix("sevhost: \(garbage)"), export.stderr)

        let both = try certificates("both", fill: 5, size: 10)
        try FileManager.default.copyItem(atPath: both + "/ask.der", toPath: both + "/asvk.pem")
        let twice = try Subprocess.sevhost(["snp", "certs", "import", both, "--table", path("t.bin")])
        XCTAssertEqual(twice.stderr, "sevhost: \(both)/asvk.pem: \(both)/ask.der already fills its entry (one file each for ark, ask or asvk, vcek, vlek)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("t.bin")))
    }
}
