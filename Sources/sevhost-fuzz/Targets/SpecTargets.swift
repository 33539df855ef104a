import BoundedFiles
import Orchestration
import SEVKit

/// VM specs, as `launch`, `attest --expect` and sevhostd's `create` read them.
enum SpecTargets {
    /// Debian's OVMF, when the machine has it, for the launch checks that need a firmware.
    static let firmware: OVMFImage? = (try? BoundedFile.read("/usr/share/OVMF/OVMF_CODE.fd", .firmwareImage))
        .flatMap { try? OVMFImage(bytes: $0) }

    static let resolver = LaunchResolver(host: HostFacts(sev: HostSEVParameters(cbitPosition: 51, reducedPhysBits: 1)))

    static func spec(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        guard let document = try? SpecDocument.parse(text: text, file: "fuzz.yaml") else { return }
        _ = document.compactJSON
        // What the daemon stores must parse back as the same spec.
        let again = try? SpecDocument.parse(text: document.compactJSON, file: "stored")
        precondition(again?.spec == document.spec, "a spec does not survive the daemon's JSON")
        if let firmware { _ = try? resolver.measuredPlan(document, firmware: firmware) }
    }
}
