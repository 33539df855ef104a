import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// One libvirtd sandbox per test class (starting libvirtd and its capability probe of
/// sevhost-sim takes seconds), stopped when the class ends.
enum SharedSandbox {
    nonisolated(unsafe) static var current: LibvirtSandbox?

    static func get(file: StaticString = #filePath, line: UInt = #line) throws -> LibvirtSandbox {
        if let current { return current }
        let sandbox = try LibvirtSandbox(file: file, line: line)
        current = sandbox
        return sandbox
    }

    static func stop() {
        current?.stop()
        current = nil
    }
}

/// A guest owner's scratch directory for a sandbox: a session made for its simulated
/// platform's PDH, VM specs, secrets; and the calls the tests make.
final class LibvirtGuestOwner {
    static let ovmfPath = "/usr/share/OVMF/OVMF_CODE.fd"
    /// Debian's OVMF publishes no secret area, so the secret needs an address (as over QMP).
    static let secretGPA = "0x80c000"
    static let diskGUID = "736869e5-84f0-4973-92ec-06879ce3da0b"

    let sandbox: LibvirtSandbox
    let directory: URL
    var domains: [String] = []

    init(sandbox: LibvirtSandbox, policy: UInt32 = 0x1, file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isReadableFile(atPath: Self.ovmfPath) else {
            try Peers.missing("OVMF at \(Self.ovmfPath) (Debian package ovmf)", file: file, line: line)
        }
        self.sandbox = sandbox
        var template = Array("/tmp/sevhost-libvirt-owner-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = URL(fileURLWithPath: String(cString: made))
        try check(Subprocess.run(LibvirtSandbox.simulator, ["--sim-state", sandbox.simulatorState, "--print-pdh", path("pdh.cert")]), "sevhost-sim --print-pdh")
        try makeSession(name: "vm", policy: policy)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func makeSession(name: String, policy: UInt32) throws {
        try check(
            Subprocess.sevhost(["session", path("pdh.cert"), "0x" + String(policy, radix: 16), "--out", directory.path, "--name", name]),
            "sevhost session")
    }

    /// A spec for an SEV guest paused for pre-attestation, as a libvirt domain named `name`.
    /// Its CPU is the host's (host-passthrough): this machine's KVM (PVM) offers no named model
    /// libvirt accepts, and sevhost-sim runs the guest under TCG's `max`.
    func writeSpec(_ file: String, name: String, firmware: String = ovmfPath, type: String = "sev", policy: String = "0x1", session: String = "vm", vcpus: Int = 1) throws -> String {
        let text = """
            name: \(name)
            vcpus: \(vcpus)
            cpu: host
            memory: 512M
            firmware:
              path: \(firmware)
            confidential:
              type: \(type)
              policy: "\(policy)"
              pre-attestation: true
              dh-cert-file: \(path(session + "_godh.b64"))
              session-file: \(path(session + "_session.b64"))

            """
        try text.write(toFile: path(file), atomically: true, encoding: .utf8)
        return path(file)
    }

    /// `sevhost launch SPEC --connect URI` (the socket URI unless told).
    func launch(spec: String, uri: String? = nil, extra: [String] = []) throws -> ProcessResult {
        let result = try Subprocess.sevhost(["launch", spec, "--connect", uri ?? sandbox.socketURI] + extra)
        if result.status == 0, let name = result.stdout.split(separator: " ").dropFirst().first { domains.append(String(name)) }
        return result
    }

    /// The secret the tests inject, and the table the guest must find for it.
    func writeSecret() throws -> (arguments: [String], table: [UInt8]) {
        let disk = Array("correct horse battery staple".utf8)
        try Data(disk).write(to: URL(fileURLWithPath: path("disk.key")))
        let table = try SecretTable(entries: [SecretTable.Entry(guid: GUID(Self.diskGUID)!, data: disk)]).encoded()
        return (["--secret", "luks-key:\(path("disk.key"))"], table)
    }

    /// `sevhost attest --connect URI --domain NAME` with the owner's TEK, TIK and replay log.
    func attest(domain: String, expect: String, uri: String? = nil, tik: String? = nil, extra: [String] = []) throws -> ProcessResult {
        let secret = try writeSecret()
        return try Subprocess.sevhost(
            ["attest", "--connect", uri ?? sandbox.socketURI, "--domain", domain, "--tek", path("vm_tek.bin"), "--tik", tik ?? path("vm_tik.bin"),
             "--expect", expect, "--nonce-log", path("mnonce.log"), "--gpa", Self.secretGPA] + secret.arguments + extra)
    }

    /// `virsh domstate NAME`, trimmed.
    func domainState(_ name: String) throws -> String {
        try sandbox.virsh(["domstate", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Destroys and undefines this owner's domains, removes the directory.
    func stop() {
        for name in domains {
            _ = try? sandbox.virsh(["destroy", name])
            _ = try? sandbox.virsh(["undefine", name, "--nvram"])
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func check(_ result: ProcessResult, _ what: String) throws {
        guard result.status == 0 else { throw LibvirtSandboxError(message: "\(what) exited \(result.status): \(result.stderr)") }
    }
}
