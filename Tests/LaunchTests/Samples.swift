import Foundation
import Launch
import SEVKit
import SEVTestSupport
import XCTest

/// The sample specs shipped in `templates/`, resolved the way the golden tests expect.
enum Samples {
    static let names = ["sev.yaml", "sev-es.yaml", "snp.yaml", "snp-idblock.yaml"]

    static var templates: URL { PackageRoot.url.appendingPathComponent("templates") }

    /// The smallest spec the loader accepts (an SNP guest), which tests change one line of.
    static let minimalSpec = """
        name: g
        vcpus: 2
        memory: 4G
        firmware:
          path: /fw/OVMF.fd
        confidential:
          type: sev-snp
          policy: 0x30000

        """

    static func spec(_ name: String) throws -> VMSpec {
        try SpecLoader.load(path: templates.appendingPathComponent(name).path)
    }

    /// A host with the C-bit at 51 and one reduced physical bit (Milan/Genoa values), chosen
    /// here explicitly: the builder itself never assumes them.
    static let host = HostSEVParameters(cbitPosition: 51, reducedPhysBits: 1)

    /// An AmdSev-style firmware that can do everything.
    static let capableFirmware = FirmwareFacts(
        hasSEVMetadata: true, supportsSEVES: true, hasSEVHashTable: true, hasSNPKernelHashes: true)

    /// Stand-ins for the guest owner's GODH and session files of `sev.yaml`.
    static let dhCertText = "R09ESC1jZXJ0aWZpY2F0ZS1zdGFuZC1pbg=="
    static let sessionText = "c2Vzc2lvbi1ibG9iLXN0YW5kLWlu"

    static let files: LaunchPlan.FileReader = { path in
        switch path {
        case "/var/lib/sevhost/sev-guest/godh.b64": return Data((dhCertText + "\n").utf8)
        case "/var/lib/sevhost/sev-guest/session.b64": return Data(sessionText.utf8)
        default: throw CocoaError(.fileReadNoSuchFile)
        }
    }

    static func plan(_ name: String, host: HostSEVParameters? = Samples.host) throws -> LaunchPlan {
        try LaunchPlan.resolve(spec(name), host: host, firmware: capableFirmware, readFile: files)
    }

    static func renderer() throws -> LibvirtDomainRenderer {
        try LibvirtDomainRenderer(templatesDirectory: templates)
    }

    /// The base64 ID block and ID auth of `snp-idblock.yaml`.
    static func idBlockSample() throws -> (idBlock: String, idAuth: String) {
        let confidential = try spec("snp-idblock.yaml").confidential
        return (try XCTUnwrap(confidential.idBlock), try XCTUnwrap(confidential.idAuth))
    }
}
