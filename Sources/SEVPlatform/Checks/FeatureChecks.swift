import SEVKit

extension HostChecks {
    /// Where sevhost keeps the host's SNP certificate table unless told otherwise (`--table`).
    public static let defaultCertificateTable = "/var/lib/sevhost/snp-certs.bin"

    /// What `ok --features` adds: features a guest may use that SEV-SNP does not need, so a
    /// host without them still passes plain `ok` (snphost's "optional features").
    public static func optionalFeatures(certificateTable: String = defaultCertificateTable) -> [HostCheck] {
        [secureTSC, certificateRequests(table: certificateTable)]
    }

    /// Secure TSC: the CPU has it (CPUID 0x8000001F EAX bit 8) and KVM lets a guest turn it on
    /// (bit 9 of KVM_X86_SEV_VMSA_FEATURES), as snphost checks it.
    static var secureTSC: HostCheck {
        HostCheck(
            id: "secure-tsc", name: "Secure TSC", generation: .snp, category: .optionalFeatures,
            description: "CPUID 0x8000001F EAX bit 8 and bit 9 (SECURE_TSC) of KVM_GET_DEVICE_ATTR KVM_X86_SEV_VMSA_FEATURES on /dev/kvm",
            hint: "Secure TSC needs an EPYC 9004 (Genoa) or later and Linux 6.18 or later with kvm_amd sev_snp=1"
        ) { context in
            let name = "(Optional Features) Secure TSC"
            var errors: [String] = []
            let eax = context.memoryEncryption.eax
            if eax & (1 << 8) == 0 {
                errors.append("SecureTSC bit 8 not set in CPUID 0x8000001F EAX: 0x" + String(eax, radix: 16).leftPadded(8))
            }
            switch context.probe.kvmSEVAttribute(KVMSEVAttribute.vmsaFeatures) {
            case .success(let features) where features & (1 << 9) == 0:
                errors.append("SecureTSC not set in KVM sev_supported_vmsa_features: 0x" + String(features, radix: 16).leftPadded(16))
            case .success:
                break
            case .failure(let failure):
                errors.append("KVM_GET_DEVICE_ATTR failed: \(failure.message)")
            }
            return errors.isEmpty ? .pass("Configurable", name: name) : .fail(errors.joined(separator: "; "), name: name)
        }
    }

    /// Whether the kernel can ask the VMM for certificates with each SNP attestation request
    /// (KVM_X86_SEV_SNP_REQ_CERTS), and the table it would hand over.
    static func certificateRequests(table: String) -> HostCheck {
        HostCheck(
            id: "snp-certificate-requests", name: "SNP certificate requests", generation: .snp, category: .optionalFeatures,
            description: "KVM_GET_DEVICE_ATTR KVM_X86_SEV_SNP_REQ_CERTS on /dev/kvm is 1 (the KVM_EXIT_SNP_REQ_CERTS exit), and the certificate table at \(table) decodes",
            hint: "Certificate requests need Linux 7.0 or later with kvm_amd sev_snp=1; without them guests fetch their VCEK from KDS themselves"
        ) { context in
            let offered: UInt64
            switch context.probe.kvmSEVAttribute(KVMSEVAttribute.snpRequestCertificates) {
            case .success(let value): offered = value
            case .failure(let failure):
                return .fail("KVM_X86_SEV_SNP_REQ_CERTS: \(failure.message): this kernel cannot ask the VMM for certificates")
            }
            guard offered == 1 else {
                return .fail("KVM_X86_SEV_SNP_REQ_CERTS is \(offered): SEV-SNP is off in KVM")
            }
            let relative = String(table.drop { $0 == "/" })
            switch context.probe.root.readBytes(relative) {
            case .failure(let failure) where failure.isMissing:
                return .fail(
                    "offered by the kernel; no certificate table at \(table)",
                    hint: "Write it: sevhost snp certs import DIR --table \(table) (ARK, ASK and the VCEK for the reported TCB)")
            case .failure(let failure):
                return .fail("offered by the kernel; \(table): \(failure)")
            case .success(let bytes):
                do {
                    let decoded = try SNPCertificateTable(bytes: bytes, name: table)
                    let names = decoded.entries.map { SNPCertificateTable.name(for: $0.guid) ?? $0.guid.uuidString.lowercased() }
                    return .pass("offered by the kernel; table \(table): \(names.isEmpty ? "empty" : names.joined(separator: ", "))")
                } catch {
                    return .fail("offered by the kernel; \(error)", hint: "Write it again: sevhost snp certs import DIR --table \(table)")
                }
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
