import Foundation
import SEVKit

/// A spec that has passed every consistency check, with the policy interpreted and the files
/// the firmware consumes read in. The QEMU and libvirt renderers only take a `LaunchPlan`, so
/// nothing inconsistent can be emitted.
public struct LaunchPlan: Equatable, Sendable {
    public var spec: VMSpec
    public var policy: GuestPolicy
    public var firmwareMode: FirmwareMode
    /// C-bit and reduced-phys-bits; nil when unknown (QEMU needs them, libvirt can fill them in).
    public var host: HostSEVParameters?
    /// Base64 text of the guest owner's DH certificate and session (libvirt embeds them).
    public var dhCert: String?
    public var session: String?
    /// SEV-SNP: the ID block sevhost is asked to sign (`id-key` and its fields), checked.
    public var signingRequest: SNPSigningRequest?
    /// SEV-SNP: an inline `id-block`, decoded.
    public var inlineIDBlock: IDBlock?
    /// SEV-SNP: the expected launch digest, pinned by the spec's `launch-digest` or computed from
    /// the spec's own inputs (`SNPLaunchPreparation` in Orchestration).
    public var launchDigest: [UInt8]?
    /// SEV-SNP: the ID block and ID auth signed for this launch, which QEMU and libvirt receive
    /// in place of inline ones.
    public var signedIDBlock: SignedIDBlock?
    /// Files the spec names that could not be read, when `resolve` was told they may be
    /// missing (printing for another host): their checks were skipped, and output that
    /// carries their contents (libvirt's `<dhCert>`, `<session>`) goes without them.
    public var unreadFiles: [LaunchError] = []

    public var type: ConfidentialType { spec.confidential.type }
    /// The VM type KVM creates an SEV or SEV-ES guest with (the spec's, else QEMU's default);
    /// nil for SNP, which is always INIT2. The argv states it and every predictor reads it.
    public var vmType: SEVVMType? { type == .sevSNP ? nil : spec.confidential.vmType ?? SEVVMType.qemuDefault }
    public var kernelHashes: Bool { spec.confidential.kernelHashes ?? false }
    public var preAttestation: Bool { spec.confidential.preAttestation ?? false }

    /// Reads a file named by the spec; injected so tests and callers decide where files live.
    public typealias FileReader = @Sendable (String) throws -> Data

    public static let readFromDisk: FileReader = { path in try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Checks `spec` and resolves it: `check`, then the session files are read.
    ///
    /// - Parameters:
    ///   - host: the host's C-bit and reduced-phys-bits, if known.
    ///   - firmware: facts about the OVMF image; nil skips the firmware checks (the caller must say so).
    ///   - namedFilesMayBeMissing: true when the output is only printed (it may be meant for
    ///     another host): a session file that cannot be read is listed in `unreadFiles` instead
    ///     of refusing the spec, as an unreadable firmware is.
    public static func resolve(
        _ spec: VMSpec, host: HostSEVParameters?, firmware: FirmwareFacts?, kvmPolicyBits: KVMSNPPolicyBits? = nil,
        readFile: FileReader = readFromDisk, namedFilesMayBeMissing: Bool = false
    ) throws(LaunchError) -> LaunchPlan {
        var plan = try check(spec, host: host, firmware: firmware, kvmPolicyBits: kvmPolicyBits)
        let confidential = spec.confidential
        func read(_ path: String?, field: String) throws(LaunchError) -> String? {
            do {
                return try readBase64File(path, field: field, readFile: readFile)
            } catch let error where namedFilesMayBeMissing {
                guard case .unreadableFile = error else { throw error }
                plan.unreadFiles.append(error)
                return nil
            }
        }
        plan.dhCert = try read(confidential.dhCertFile, field: "confidential.dh-cert-file")
        plan.session = try read(confidential.sessionFile, field: "confidential.session-file")
        return plan
    }

    /// Every check that needs no file besides the firmware's facts: the plan of what a guest
    /// owner predicts a measurement from. The session files are named or not, both or neither,
    /// but not read (`dhCert` and `session` stay nil): they do not enter the measurement.
    ///
    /// `kvmPolicyBits`, when the host's KVM is known, refuses an SNP policy with a bit KVM would
    /// refuse at SNP_LAUNCH_START (the same predicate `sevhost check` applies).
    public static func check(
        _ spec: VMSpec, host: HostSEVParameters?, firmware: FirmwareFacts?, kvmPolicyBits: KVMSNPPolicyBits? = nil
    ) throws(LaunchError) -> LaunchPlan {
        try checkShape(spec)
        let confidential = spec.confidential
        let type = confidential.type
        let policy = try interpretPolicy(confidential.policy, type: type)

        let mode = spec.firmware.mode ?? (type == .sevSNP ? .bios : .pflash)
        if type == .sevSNP {
            if mode == .pflash { throw .snpWithPflash(reason: "firmware.mode is pflash") }
            if spec.firmware.vars != nil { throw .snpWithPflash(reason: "firmware.vars asks for a pflash variable store") }
        } else if mode == .bios, spec.firmware.vars != nil {
            throw .invalidField(field: "firmware.vars", problem: "a variable store needs firmware.mode pflash")
        }

        try checkFieldsApply(confidential)
        try checkPolicy(policy, type: type, spec: spec)
        if case .snp(let snp) = policy, let kvmPolicyBits {
            let refused = kvmPolicyBits.refusedBits(of: snp.rawValue)
            if !refused.isEmpty {
                throw .kvmRefusesPolicyBits(
                    policy: snp.hex, bits: refused.map(KVMSNPPolicyBits.describe(bit:)).joined(separator: ", "),
                    accepted: "\(kvmPolicyBits.hex), \(kvmPolicyBits.source.rawValue)")
            }
        }

        if confidential.kernelHashes == true, spec.kernel == nil { throw .kernelHashesWithoutKernel }
        if confidential.preAttestation == true, spec.qmp == nil { throw .preAttestationWithoutQMP }

        if let firmware {
            try checkFirmware(firmware, policy: policy, spec: spec)
        }

        var snpIdentity = SNPIdentityFields()
        if type == .sevSNP {
            let idBlock = try decodeBlob(confidential.idBlock, field: "id-block", length: 96)
            _ = try decodeBlob(confidential.idAuth, field: "id-auth", length: 4096)
            _ = try decodeBlob(confidential.hostData, field: "host-data", length: 32)
            _ = try decodeBlob(confidential.guestVisibleWorkarounds, field: "guest-visible-workarounds", length: 16)
            if confidential.idAuth != nil, idBlock == nil {
                throw .invalidField(field: "confidential.id-auth", problem: "needs an id-block to authenticate")
            }
            if confidential.authorKeyEnabled == true, confidential.idAuth == nil, confidential.idKey == nil {
                throw .invalidField(field: "confidential.author-key-enabled", problem: "needs id-auth, which carries the author key")
            }
            snpIdentity = try checkSNPIdentity(confidential, inlineBlock: idBlock)
            if let idBlock { try checkIDBlockPolicy(idBlock, launch: policy) }
        }

        if (confidential.dhCertFile == nil) != (confidential.sessionFile == nil) {
            throw .invalidField(
                field: confidential.dhCertFile == nil ? "confidential.dh-cert-file" : "confidential.session-file",
                problem: "dh-cert-file and session-file go together (LAUNCH_START takes both)")
        }

        return LaunchPlan(
            spec: spec, policy: policy, firmwareMode: mode, host: host, dhCert: nil, session: nil,
            signingRequest: snpIdentity.signing, inlineIDBlock: snpIdentity.inlineBlock, launchDigest: snpIdentity.pinnedDigest)
    }

    // MARK: - checks

    private static func checkShape(_ spec: VMSpec) throws(LaunchError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !spec.name.isEmpty, spec.name.allSatisfy(allowed.contains) else {
            throw .invalidField(field: "name", problem: "'\(spec.name)' must be letters, digits, '.', '_' or '-'")
        }
        guard (1...512).contains(spec.vcpus) else {
            throw .invalidField(field: "vcpus", problem: "\(spec.vcpus) is not in 1...512")
        }
        for (index, nic) in (spec.nics ?? []).enumerated() {
            switch nic.type {
            case .bridge where nic.bridge == nil:
                throw .invalidField(field: "nics[\(index)].bridge", problem: "is required for type bridge")
            case .tap where nic.tap == nil:
                throw .invalidField(field: "nics[\(index)].tap", problem: "is required for type tap")
            default: break
            }
            if let mac = nic.mac, !isMAC(mac) {
                throw .invalidField(field: "nics[\(index)].mac", problem: "'\(mac)' is not a MAC address such as 52:54:00:12:34:56")
            }
        }
    }

    private static func isMAC(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    private static func interpretPolicy(_ text: String?, type: ConfidentialType) throws(LaunchError) -> GuestPolicy {
        guard let text else { return .defaultPolicy(for: type) }
        do {
            switch type {
            case .sev, .sevES: return .sev(try SEVGuestPolicy(parsing: text))
            case .sevSNP: return .snp(try SNPGuestPolicy(parsing: text))
            }
        } catch {
            throw .invalidPolicy(text: text, problem: error.description)
        }
    }

    private static func checkFieldsApply(_ c: ConfidentialSpec) throws(LaunchError) {
        let snpOnly: [(String, Bool)] = [
            ("id-block", c.idBlock != nil), ("id-auth", c.idAuth != nil),
            ("author-key-enabled", c.authorKeyEnabled != nil), ("host-data", c.hostData != nil),
            ("guest-visible-workarounds", c.guestVisibleWorkarounds != nil), ("vcek-disabled", c.vcekDisabled != nil),
            ("id-key", c.idKey != nil), ("author-key", c.authorKey != nil), ("family-id", c.familyID != nil),
            ("image-id", c.imageID != nil), ("guest-svn", c.guestSVN != nil), ("launch-digest", c.launchDigest != nil),
        ]
        let sevOnly: [(String, Bool)] = [
            ("vm-type", c.vmType != nil), ("dh-cert-file", c.dhCertFile != nil), ("session-file", c.sessionFile != nil),
        ]
        let misplaced = c.type == .sevSNP ? sevOnly : snpOnly
        if let (field, _) = misplaced.first(where: \.1) { throw .fieldNotForType(field: field, type: c.type) }
    }

    private static func checkPolicy(_ policy: GuestPolicy, type: ConfidentialType, spec: VMSpec) throws(LaunchError) {
        switch policy {
        case .sev(let sev):
            if sev.reservedBits != 0 {
                throw .policyReservedBits(policy: sev.hex, bits: "0x" + String(sev.reservedBits, radix: 16))
            }
            if sev.contains(SEVGuestPolicy.encryptedState) != (type == .sevES) {
                throw .typePolicyMismatch(type: type, policy: sev.hex)
            }
            if spec.isProduction, !spec.debugAllowed, sev.allowsDebug {
                throw .debugOnProduction(policy: sev.hex, reason: "allows debugging (NODBG is clear)")
            }
        case .snp(let snp):
            if !snp.hasReservedOne { throw .snpPolicyWithoutReservedBit(policy: snp.hex) }
            if snp.reservedBits != 0 {
                throw .policyReservedBits(policy: snp.hex, bits: "0x" + String(snp.reservedBits, radix: 16))
            }
            if spec.isProduction, !spec.debugAllowed, snp.allowsDebug {
                throw .debugOnProduction(policy: snp.hex, reason: "sets DEBUG (bit 19)")
            }
        }
    }

    private static func checkFirmware(_ facts: FirmwareFacts, policy: GuestPolicy, spec: VMSpec) throws(LaunchError) {
        let path = spec.firmware.path
        let type = spec.confidential.type
        if type == .sevSNP, !facts.hasSEVMetadata { throw .firmwareWithoutSEVMetadata(path: path) }
        if case .sev(let sev) = policy, sev.contains(SEVGuestPolicy.encryptedState), !facts.supportsSEVES {
            throw .firmwareNotESCapable(path: path)
        }
        if spec.confidential.kernelHashes == true {
            let ok = type == .sevSNP ? facts.hasSNPKernelHashes : facts.hasSEVHashTable
            if !ok { throw .firmwareWithoutHashTable(path: path, type: type) }
        }
    }

    /// ID block layout (SNP ABI, ID_BLOCK): LD 48, FAMILY_ID 16, IMAGE_ID 16, VERSION 4,
    /// GUEST_SVN 4, then POLICY as a little-endian u64 at offset 88.
    static let idBlockPolicyOffset = 88

    private static func checkIDBlockPolicy(_ block: [UInt8], launch: GuestPolicy) throws(LaunchError) {
        var reader = ByteReader(block, context: "id-block")
        let blockPolicy: UInt64
        do {
            try reader.seek(to: idBlockPolicyOffset)
            blockPolicy = try reader.readInteger(UInt64.self, field: "POLICY")
        } catch {
            throw .invalidField(field: "confidential.id-block", problem: error.description)
        }
        if blockPolicy != launch.rawValue {
            throw .idBlockPolicyMismatch(idBlock: "0x" + String(blockPolicy, radix: 16), launch: launch.hex)
        }
    }

    private static func decodeBlob(_ text: String?, field: String, length: Int) throws(LaunchError) -> [UInt8]? {
        guard let text else { return nil }
        guard let data = Data(base64Encoded: text) else { throw .invalidBase64(field: field) }
        guard data.count == length else { throw .wrongLength(field: field, actual: data.count, expected: length) }
        return [UInt8](data)
    }

    /// Reads a base64 file (as QEMU's `dh-cert-file`/`session-file` expect), checks it is base64,
    /// and returns its text without surrounding whitespace. The bytes never appear in errors.
    private static func readBase64File(_ path: String?, field: String, readFile: FileReader) throws(LaunchError) -> String? {
        guard let path else { return nil }
        let data: Data
        do {
            data = try readFile(path)
        } catch {
            throw .unreadableFile(field: field, path: path, reason: FileErrorText.reason(error))
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, Data(base64Encoded: text, options: .ignoreUnknownCharacters) != nil,
              text.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber || "+/=\n\r".contains($0) })
        else {
            throw .invalidField(field: field, problem: "\(path) does not hold base64 text")
        }
        return text.filter { $0 != "\n" && $0 != "\r" }
    }
}
