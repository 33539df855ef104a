import AtomicFiles
import Foundation
import QMP
import SEVKit

/// `sevhost-sim --guest-report SOCKET --report-data HEX [--vmpl N] --out FILE [--certs DIR]`:
/// what a guest on the simulated platform gets when it asks its AMD-SP for an attestation
/// report (MSG_REPORT_REQ through /dev/sev-guest, as `snpguest report` does), with the ARK, ASK
/// and VCEK an extended request returns. No QEMU has such a command: the front answers
/// `x-sevhost-snp-guest-report` on the guest's QMP socket in the guest's place.
enum GuestReportRequest {
    static let command = "x-sevhost-snp-guest-report"

    static func run(_ arguments: [String]) async -> Never {
        var options: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard ["--guest-report", "--report-data", "--vmpl", "--out", "--certs"].contains(name), index + 1 < arguments.count else {
                fail("--guest-report: unexpected '\(name.prefix(40))' (usage: --guest-report SOCKET --report-data HEX [--vmpl N] --out FILE [--certs DIR])")
            }
            options[name] = arguments[index + 1]
            index += 2
        }
        guard let socket = options["--guest-report"], let out = options["--out"] else {
            fail("--guest-report SOCKET needs --report-data HEX and --out FILE")
        }
        guard let text = options["--report-data"], let reportData = Hex.decode(text), reportData.count == 64 else {
            fail("--report-data: expected 64 bytes as 128 hex digits")
        }
        guard let vmpl = UInt64(options["--vmpl"] ?? "0"), vmpl <= 3 else { fail("--vmpl: expected 0 to 3") }

        let client: QMPClient
        do {
            client = try await QMPClient.connect(path: socket)
        } catch {
            fail("\(socket): \(error)")
        }
        let reply: QMPValue
        do {
            reply = try await client.execute(command, arguments: [
                "report-data": .string(Data(reportData).base64EncodedString()), "vmpl": .int(Int64(vmpl)),
            ])
        } catch {
            await client.close()
            fail("\(command): \(error)")
        }
        await client.close()
        guard let report = reply["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
              let certificates = reply["certificates"]?.stringValue
        else { fail("\(command): the answer has no data or certificates") }
        do {
            try AtomicFile.write([UInt8](report), to: out)
            if let directory = options["--certs"] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let pems = certificates.components(separatedBy: "-----END CERTIFICATE-----\n").dropLast()
                for (name, pem) in zip(["ark.pem", "ask.pem", "vcek.pem"], pems) {
                    try AtomicFile.write(Array((pem + "-----END CERTIFICATE-----\n").utf8), to: directory + "/" + name)
                }
            }
        } catch {
            fail("\(error)")
        }
        exit(0)
    }
}
