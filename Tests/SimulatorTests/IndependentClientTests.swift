import Foundation
import QMP
import SEVKit
import SEVTestSupport
import XCTest

/// QEMU's own clients (the `qemu.qmp` library and `qmp-shell`, from the venv) drive a paused
/// SEV guest on the simulated platform through measure → inject → cont, as they would drive
/// QEMU on an SEV host. Neither sends a newline after a command.
final class IndependentClientTests: XCTestCase {
    private func ownerSecret(_ harness: SimulatorHarness) throws -> String {
        let file = harness.path("disk.key")
        try Data("correct horse\n".utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// The secret table the guest must end up with.
    private func expectedTable() throws -> [UInt8] {
        try SecretTable(entries: [SecretTable.Entry(guid: WellKnownSecretGUID.parse("luks-key")!, data: Array("correct horse\n".utf8))]).encoded()
    }

    func testQEMUQMPDrivesMeasureInjectCont() throws {
        let python = try Peers.venvTool("python")
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let process = try harness.launch(spec: try harness.writeSpec("guest.yaml"))
        let script = PackageRoot.url.appendingPathComponent("Tests/Fixtures/qmp_flow.py").path
        let result = try Subprocess.run(python, [
            script, harness.path("qmp.sock"), Peers.sevhost.path, harness.path("vm_tek.bin"), harness.path("vm_tik.bin"),
            try ownerSecret(harness), SimulatorHarness.secretGPA,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            greeting: QEMU 10.0.2
            status: prelaunch running=False
            sev: sev launch-secret policy=1 api=1.55
            inject: {}
            cont: {}
            event: RESUME data=False
            status: running running=True
            sev: running
            inject again: GenericError: SEV: Not in correct state. (LSECRET) 3
            event: SHUTDOWN {'guest': False, 'reason': 'host-qmp-quit'}

            """)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path("secret.bin")))), try expectedTable())
    }

    func testQMPShellDrivesMeasureInjectCont() async throws {
        let shell = try Peers.venvTool("qmp-shell")
        let harness = try SimulatorHarness()
        defer { harness.stop() }
        let process = try harness.launch(spec: try harness.writeSpec("guest.yaml"))

        let measured = try Subprocess.run(shell, [harness.path("qmp.sock")], stdin: Data("query-sev-launch-measure\n".utf8))
        XCTAssertEqual(measured.status, 0, measured.stderr)
        let reply = try XCTUnwrap(measured.stdout.split(separator: "\n").first { $0.hasPrefix("(QEMU) {\"return\"") })
        let prefix = "(QEMU) {\"return\": {\"data\": \""
        XCTAssertTrue(reply.hasPrefix(prefix) && reply.hasSuffix("\"}}"), String(reply))
        let measurement = String(reply.dropFirst(prefix.count).dropLast(3))

        let build = try Subprocess.sevhost([
            "secret", "build", "--tek", harness.path("vm_tek.bin"), "--tik", harness.path("vm_tik.bin"),
            "--measurement", measurement, "--secret", "luks-key:" + (try ownerSecret(harness)),
        ])
        XCTAssertEqual(build.status, 0, build.stderr)
        let fields = Dictionary(uniqueKeysWithValues: build.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let separator = line.range(of: ": ") else { return nil }
            return (String(line[..<separator.lowerBound]), String(line[separator.upperBound...]))
        })
        let commands = """
            sev-inject-launch-secret packet-header=\(try XCTUnwrap(fields["header"])) secret=\(try XCTUnwrap(fields["payload"])) gpa=\(UInt64(SimulatorHarness.secretGPA.dropFirst(2), radix: 16)!)
            cont
            query-status
            query-sev

            """
        let driven = try Subprocess.run(shell, [harness.path("qmp.sock")], stdin: Data(commands.utf8))
        XCTAssertEqual(driven.status, 0, driven.stderr)
        let replies = driven.stdout.split(separator: "\n").filter { $0.hasPrefix("(QEMU) {") }
        XCTAssertEqual(replies, [
            "(QEMU) {\"return\": {}}",
            "(QEMU) {\"return\": {}}",
            "(QEMU) {\"return\": {\"status\": \"running\", \"running\": true}}",
            "(QEMU) {\"return\": {\"enabled\": true, \"api-minor\": 55, \"handle\": 1, \"state\": \"running\", \"api-major\": 1, \"sev-type\": \"sev\", \"build-id\": 21, \"policy\": 1}}",
        ], driven.stdout)
        // (qmp-shell's own `quit` races QEMU's exit with its disconnect, against QEMU too.)
        try await QMPClient.connect(path: harness.path("qmp.sock"), timeout: .seconds(10)).quit()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: harness.path("secret.bin")))), try expectedTable())
    }
}
