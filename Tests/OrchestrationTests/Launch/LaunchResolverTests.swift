import Foundation
import Orchestration
import SEVKit
import SEVTestSupport
import XCTest

/// The one resolver: refusals located the same way for a file and for sent text, the host's
/// C-bit values required only for QEMU, and a guest owner's prediction that does not need the
/// platform's session files.
final class LaunchResolverTests: XCTestCase {
    static let ovmf = "/usr/share/OVMF/OVMF_CODE.fd"

    var directory = ""

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Self.ovmf) else { try Peers.missing(Self.ovmf) }
        var template = Array("/tmp/launch-resolver-XXXXXX".utf8CString)
        directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// An SEV spec whose session files are in `directory` (written only when `withFiles`).
    private func spec(policy: String = "0x1", withFiles: Bool) throws -> String {
        if withFiles {
            try Data("AAAA".utf8).write(to: URL(fileURLWithPath: directory + "/godh.b64"))
            try Data("BBBB".utf8).write(to: URL(fileURLWithPath: directory + "/session.b64"))
        }
        let text = """
            name: guest
            vcpus: 1
            memory: 1G
            firmware:
              path: \(Self.ovmf)
            qmp: \(directory)/qmp.sock
            confidential:
              type: sev
              policy: "\(policy)"
              pre-attestation: true
              dh-cert-file: \(directory)/godh.b64
              session-file: \(directory)/session.b64

            """
        let path = directory + "/guest.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testALaunchReadsTheSessionFilesAndRendersQEMU() throws {
        let resolver = LaunchResolver(host: HostFacts(sev: HostSEVParameters(cbitPosition: 47, reducedPhysBits: 5)))
        let launch = try resolver.resolve(SpecDocument.load(path: spec(withFiles: true)))
        XCTAssertEqual(launch.dhCert, "AAAA")
        XCTAssertEqual(launch.session, "BBBB")
        XCTAssertEqual(launch.policyHex, "0x1")
        XCTAssertTrue(launch.waitsForSecret)
        XCTAssertTrue(try launch.qemuArguments().contains(
            "sev-guest,id=sev0,cbitpos=47,reduced-phys-bits=5,policy=0x1,legacy-vm-type=on,dh-cert-file=\(directory)/godh.b64,session-file=\(directory)/session.b64"))
    }

    /// A guest owner predicting the measurement need not hold the platform's session files:
    /// the plan is checked as a launch's is, but they are not read.
    func testThePredictionDoesNotReadTheSessionFiles() throws {
        let document = try SpecDocument.load(path: spec(withFiles: false))
        let firmware = try OVMFImage(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.ovmf))))
        let plan = try LaunchResolver(host: .unknown).measuredPlan(document, firmware: firmware)
        XCTAssertEqual(plan.policy.hex, "0x1")
        XCTAssertNil(plan.dhCert)
        XCTAssertThrowsError(try LaunchResolver(host: .unknown).resolve(document)) { error in
            XCTAssertEqual("\(error)", "\(directory)/guest.yaml:11: confidential.dh-cert-file: cannot read \(directory)/godh.b64: No such file or directory")
        }
        // Printing (perhaps for another host) holds the session files to the firmware's rule:
        // missing here, they are warned about and their checks skipped.
        let warnings = WarningLog()
        let printed = try LaunchResolver(host: .unknown).resolve(document, firmware: .whenReadable { warnings.add($0) })
        XCTAssertNil(printed.dhCert)
        XCTAssertEqual(warnings.lines, [
            "checks skipped: confidential.dh-cert-file: cannot read \(directory)/godh.b64: No such file or directory",
            "checks skipped: confidential.session-file: cannot read \(directory)/session.b64: No such file or directory",
        ])
    }

    /// The prediction refuses what a launch refuses, located in the owner's file.
    func testThePredictionRefusesWhatALaunchRefuses() throws {
        let document = try SpecDocument.load(path: spec(policy: "0x4", withFiles: false))
        let firmware = try OVMFImage(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.ovmf))))
        XCTAssertThrowsError(try LaunchResolver(host: .unknown).measuredPlan(document, firmware: firmware)) { error in
            XCTAssertEqual("\(error)", "\(directory)/guest.yaml:9: confidential.policy: policy 0x4 sets the ES bit (0x4); use type sev-es")
        }
    }

    /// Text sent to the daemon has no lines: refusals name the file it was read from, and a
    /// launch without the host's C-bit values says what would give them.
    func testSentTextIsLocatedByFileAndTheHostHintIsSaid() throws {
        let text = try String(contentsOfFile: spec(withFiles: true), encoding: .utf8)
        let document = try SpecDocument.parse(text: text, file: "sent.yaml")
        let hint = "start sevhostd with --cbitpos and --reduced-phys-bits, or on an SEV host"
        let launch = try LaunchResolver(host: HostFacts(sev: nil, unknownHint: hint)).resolve(document)
        XCTAssertThrowsError(try launch.qemuArguments()) { error in
            XCTAssertEqual(
                "\(error)",
                "sent.yaml: the host's C-bit position and reduced-phys-bits are unknown: pass --cbitpos and --reduced-phys-bits (\(hint))")
        }
        let refused = try SpecDocument.parse(text: text.replacingOccurrences(of: "policy: \"0x1\"", with: "policy: \"0x4\""), file: "sent.yaml")
        XCTAssertThrowsError(try LaunchResolver(host: .unknown).resolve(refused)) { error in
            XCTAssertEqual("\(error)", "sent.yaml: confidential.policy: policy 0x4 sets the ES bit (0x4); use type sev-es")
        }
    }
}

/// Collects the resolver's warnings.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    func add(_ line: String) { lock.withLock { collected.append(line) } }
    var lines: [String] { lock.withLock { collected } }
}
