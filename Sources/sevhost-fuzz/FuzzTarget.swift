import Foundation

/// One fuzz target: a name and a function that must return for every input, whatever it
/// holds (a crash, a trap, a hang or a runaway allocation in it is a finding).
struct FuzzTarget: Sendable {
    var name: String
    /// What it feeds, for `--list` and ROBUSTNESS.md.
    var summary: String
    var run: @Sendable (UnsafeRawBufferPointer) -> Void

    /// Every target, in the order `scripts/fuzz` runs them.
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "snp-report", summary: "SNP attestation reports: decoding, display, JSON fields", run: ReportTargets.report),
        FuzzTarget(name: "x509", summary: "X.509 VCEK/VLEK/ASK/ARK (DER and PEM): decoding, AMD extensions, chain sorting and checks", run: CertificateTargets.x509),
        FuzzTarget(name: "crl", summary: "AMD CRLs: decoding, signature against a chain's ARK, revocation lookup", run: CertificateTargets.crl),
        FuzzTarget(name: "sev-certificates", summary: "legacy SEV certificates and chain files (PDH/PEK/OCA/CEK, ASK/ARK): decoding and chain verification", run: CertificateTargets.sevChain),
        FuzzTarget(name: "cert-table", summary: "SNP extended certificate tables (GHCB): decoding and re-encoding", run: CertificateTargets.table),
        FuzzTarget(name: "ovmf", summary: "OVMF footer table and SEV metadata, and the launch digests computed from them", run: FirmwareTargets.ovmf),
        FuzzTarget(name: "vmsa", summary: "VMSA pages: sevctl's JSON layout", run: FirmwareTargets.vmsa),
        FuzzTarget(name: "spec", summary: "VM specs (YAML/JSON): syntax, schema, launch checks", run: SpecTargets.spec),
        FuzzTarget(name: "captured-host", summary: "a captured host's JSON files (cpuid, msr, dev, firmware, tools)", run: HostTargets.capturedJSON),
        FuzzTarget(name: "qmp-reply", summary: "QMP lines from a QEMU: framing, classification, typed SEV replies", run: QMPTargets.reply),
        FuzzTarget(name: "daemon-request", summary: "sevhostd requests: HTTP framing with the daemon's limits, JSON bodies, specs, inject packets", run: DaemonTargets.request),
        FuzzTarget(name: "attestation-bundle", summary: "attestation bundles and answers, launch measurements", run: DaemonTargets.bundle),
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The target `SEVHOST_FUZZ_TARGET` names (under libFuzzer there is no argument for it).
    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["SEVHOST_FUZZ_TARGET"] ?? ""
        guard let target = named(name) else {
            FileHandle.standardError.write(Data("sevhost-fuzz: SEVHOST_FUZZ_TARGET=\(name): expected one of \(all.map(\.name).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()
}

extension UnsafeRawBufferPointer {
    var bytes: [UInt8] { Array(self) }
}
