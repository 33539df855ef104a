import ArgumentParser
import Orchestration

/// `sevhost vm expect NAME`: what an SEV-SNP VM's attestation reports must show.
struct VMExpectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expect",
        abstract: "Show what an SEV-SNP VM's attestation reports must show (measurement, policy, host data, key digests).",
        discussion: """
            sevhostd computes it from the VM's spec when it signs the VM's launch. A guest owner \
            pins it: `sevhost vm expect NAME --json > vm.expect.json`, then \
            `sevhost report verify REPORT --certs DIR --expect vm.expect.json`.
            """ + "\n\n" + CommandExamples.text("sevhost vm expect guest --json")
    )
    @OptionGroup var messages: OutputOptions

    @OptionGroup var options: VMDaemonOptions

    @Argument(help: "The VM's name.")
    var name: String

    @Flag(help: "Print the daemon's JSON (format sevhost-snp-expectation/1).")
    var json = false

    func run() async throws {
        try await VMReport.run("expect", vm: name, options: options) {
            let expectation = try await options.client.expect(name)
            print(json ? JSONOutput.render(JSONOutput.schema("vm-expect"), expectation) : Self.text(expectation), terminator: "")
        }
    }

    /// `field: value` lines, in the order the report carries the fields.
    static func text(_ e: VMExpectation) -> String {
        [
            "name: \(e.name)", "measurement: \(e.measurement)", "policy: \(e.policy)", "host-data: \(e.hostData)",
            "id-key-digest: \(e.idKeyDigest)", "author-key-digest: \(e.authorKeyDigest)",
            "author-key-enabled: \(e.authorKeyEnabled)", "family-id: \(e.familyID)", "image-id: \(e.imageID)",
            "guest-svn: \(e.guestSVN)", "vmpl: \(e.vmpl)",
        ].joined(separator: "\n") + "\n"
    }
}
