import ArgumentParser
import Foundation
import Orchestration
import SEVKit
import SEVLaunchSimulator

/// `sevhost-bench snp-reports SPEC --out DIR`: the input of benchmarks/snp-expect.sh, N
/// attestation reports of one guest, each with its own REPORT_DATA, from the simulated AMD-SP.
///
/// The guest is launched from the QEMU argv `sevhost launch SPEC` writes (its `-bios`, `-smp`,
/// `-cpu` and `sev-snp-guest` properties, the signed ID block among them), on a fresh simulated
/// chip whose ARK, ASK and VCEK go to DIR/certs; the reports are DIR/report-NNNN.bin. Prints
/// the guest's measurement in hex, for the `--measurement` run it is compared with.
struct SNPReports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snp-reports", abstract: "Write N simulated attestation reports of one SNP guest launched from a spec.")

    @Argument(help: "The VM spec (SEV-SNP).")
    var spec: String

    @Option(help: "Directory for the reports and certs/.")
    var out: String

    @Option(help: "Reports to write.")
    var count = 1000

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count: expected 1...100000") }
    }

    func run() async throws {
        let document = try SpecDocument.load(path: spec)
        let host = HostFacts(sev: HostSEVParameters(cbitPosition: 51, reducedPhysBits: 1))
        let arguments = try LaunchResolver(host: host).resolve(document).qemuArguments()
        func value(_ option: String) throws -> String {
            guard let index = arguments.firstIndex(of: option), index + 1 < arguments.count else {
                throw ValidationError("\(spec): the argv has no \(option)")
            }
            return arguments[index + 1]
        }
        guard let object = arguments.first(where: { $0.hasPrefix("sev-snp-guest,") }) else {
            throw ValidationError("\(spec): not an SEV-SNP spec")
        }
        var properties: [String: String] = [:]
        for part in object.split(separator: ",").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            properties[kv[0]] = kv.count == 2 ? kv[1] : ""
        }
        func base64(_ key: String) -> [UInt8]? { properties[key].flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } }
        guard let model = VCPUType.named(try value("-cpu")), let vcpus = Int(try value("-smp")),
              let policy = properties["policy"].flatMap({ UInt64($0.dropFirst(2), radix: 16) })
        else { throw ValidationError("\(spec): -cpu, -smp or policy not as sevhost writes them") }
        let firmware = try OVMFImage(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: try value("-bios")))))

        let authority = try SimulatedSNPPlatform.Authority.generate(product: .milan)
        let platform = try SimulatedSNPPlatform(configuration: .milan, authority: authority)
        let guest = try SimulatedSNPLaunch.run(
            SimulatedSNPLaunchConfiguration(
                firmware: firmware, hashTable: nil, vcpus: vcpus, vcpuSignature: model.signature, policy: policy,
                finish: .init(idBlock: base64("id-block"), idAuth: base64("id-auth"),
                              authorKeyEnabled: properties["author-key-enabled"] == "on", hostData: base64("host-data"))),
            platform: platform)

        let directory = URL(fileURLWithPath: out)
        let certs = directory.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        for (name, certificate) in zip(["ark.pem", "ask.pem", "vcek.pem"], platform.certificates) {
            try Data(certificate.pem.utf8).write(to: certs.appendingPathComponent(name))
        }
        for index in 0..<count {
            var nonce = [UInt8](repeating: 0, count: 64)
            nonce.replaceSubrange(0..<8, with: UInt64(index).littleEndianBytes)
            let report = try guest.report(reportData: nonce, platform: platform)
            try Data(report.bytes).write(to: directory.appendingPathComponent(String(format: "report-%04d.bin", index)))
        }
        print(Hex.encode(guest.measurement))
    }
}
