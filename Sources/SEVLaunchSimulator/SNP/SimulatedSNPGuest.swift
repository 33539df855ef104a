import Crypto
import SEVKit

/// One SEV-SNP guest on the simulated AMD-SP: the launch commands KVM issues (SNP firmware ABI
/// 56860: SNP_LAUNCH_START, SNP_LAUNCH_UPDATE, SNP_LAUNCH_FINISH) with the checks the firmware
/// makes, and the guest's MSG_REPORT_REQ, answered with a report signed by the platform's VCEK.
///
/// A command in the wrong state, or one the firmware refuses, throws its status and changes
/// nothing. A value type: the owner (the QMP front) serialises access.
public struct SimulatedSNPGuest: Sendable {
    public enum State: String, Sendable, Hashable {
        case uninit = "uninit"
        case launchUpdate = "launch-update"
        case running = "running"
    }

    public private(set) var state: State = .uninit
    public private(set) var policy: SNPGuestPolicy = .minimal
    /// The launch digest so far; final once running.
    public private(set) var launchDigest: SNPLaunchDigest = SNPLaunchDigest()
    /// What LAUNCH_FINISH bound to the guest (ID block fields, key digests, HOST_DATA).
    public private(set) var identity: SNPLaunchIdentity?
    public private(set) var hostData: [UInt8] = Array(repeating: 0, count: 32)
    public private(set) var vcekDisabled = false
    /// REPORT_ID: chosen by the firmware at launch, the same in every report of this guest.
    public let reportID: [UInt8]

    /// Pages already given to the guest: the RMP refuses a second LAUNCH_UPDATE of one.
    private var measuredPages: Set<UInt64> = []

    public init(reportID: [UInt8] = SimulatedGuest.random(32)) {
        self.reportID = reportID
    }

    /// The measurement (final once running).
    public var measurement: [UInt8] { launchDigest.digest }

    /// SNP_LAUNCH_START: the policy checks the firmware makes against itself and the platform.
    public mutating func launchStart(policy raw: UInt64, platform: SimulatedSNPPlatform) throws(SEVFirmwareStatus) {
        guard state == .uninit else {
            throw .invalidGuestState("SNP_LAUNCH_START needs state uninit, the guest is \(state.rawValue)")
        }
        let policy = SNPGuestPolicy(rawValue: raw)
        let config = platform.configuration
        guard policy.hasReservedOne else {
            throw .invalidParameter("SNP_LAUNCH_START: policy \(policy.hex) has reserved bit 17 clear; it must be 1")
        }
        guard policy.reservedBits == 0 else {
            throw .invalidParameter("SNP_LAUNCH_START: policy \(policy.hex) sets reserved bits 0x\(String(policy.reservedBits, radix: 16))")
        }
        if (policy.abiMajor, policy.abiMinor) > (config.abiMajor, config.abiMinor) {
            throw .policyFailure(
                "SNP_LAUNCH_START: the policy requires firmware ABI \(policy.abiMajor).\(policy.abiMinor), this firmware is \(config.abiMajor).\(config.abiMinor)")
        }
        if config.smtEnabled, !policy.contains(SNPGuestPolicy.smt) {
            throw .policyFailure("SNP_LAUNCH_START: SMT is enabled on this platform and the policy does not allow it (bit 16)")
        }
        if config.sockets > 1, policy.contains(SNPGuestPolicy.singleSocket) {
            throw .policyFailure("SNP_LAUNCH_START: the policy asks for a single socket (bit 20) and this platform has \(config.sockets)")
        }
        for (flag, what) in [(SNPGuestPolicy.ciphertextHiding, "ciphertext hiding"), (SNPGuestPolicy.raplDisable, "RAPL disabled"),
                             (SNPGuestPolicy.memAES256XTS, "AES-256-XTS memory encryption")]
        where policy.contains(flag) {
            throw .policyFailure("SNP_LAUNCH_START: the policy requires \(what) (bit \(flag.bit)), which this platform does not have")
        }
        self.policy = policy
        state = .launchUpdate
    }

    /// SNP_LAUNCH_UPDATE of one page: folds its PAGE_INFO into the launch digest. Normal pages
    /// carry their contents; zero, unmeasured, secrets and CPUID pages are measured without.
    public mutating func launchUpdate(type: SNPLaunchDigest.PageType, gpa: UInt64, contents: [UInt8]? = nil) throws(SEVFirmwareStatus) {
        guard state == .launchUpdate else {
            throw .invalidGuestState("SNP_LAUNCH_UPDATE needs state launch-update, the guest is \(state.rawValue)")
        }
        guard gpa % UInt64(SNPLaunchDigest.pageSize) == 0 else {
            throw .invalidAddress("SNP_LAUNCH_UPDATE: GPA 0x\(String(gpa, radix: 16)) is not page-aligned")
        }
        let measured: [UInt8]
        switch type {
        case .normal, .vmsa:
            guard let contents, contents.count == SNPLaunchDigest.pageSize else {
                throw .invalidLength("SNP_LAUNCH_UPDATE: a \(type) page is \(SNPLaunchDigest.pageSize) bytes, got \(contents?.count ?? 0)")
            }
            measured = Array(SHA384.hash(data: contents))
        case .zero, .unmeasured, .secrets, .cpuid:
            measured = Array(repeating: 0, count: SNPLaunchDigest.digestSize)
        }
        if type == .vmsa {
            // A VMSA page is recorded at the RMP's VMSA address, not at a guest-physical one.
            launchDigest.update(type: .vmsa, gpa: SNPLaunchDigest.vmsaGPA, contents: measured)
            return
        }
        guard measuredPages.insert(gpa).inserted else {
            throw .invalidPageState("SNP_LAUNCH_UPDATE: the page at GPA 0x\(String(gpa, radix: 16)) is already assigned to the guest")
        }
        launchDigest.update(type: type, gpa: gpa, contents: measured)
    }

    /// What SNP_LAUNCH_FINISH is given (KVM's `kvm_sev_snp_launch_finish`).
    public struct Finish: Sendable {
        /// The 96-byte ID block; nil without one (ID_BLOCK_EN 0).
        public var idBlock: [UInt8]?
        /// The 4096-byte ID auth info.
        public var idAuth: [UInt8]?
        public var authorKeyEnabled: Bool
        public var hostData: [UInt8]?
        public var vcekDisabled: Bool

        public init(idBlock: [UInt8]? = nil, idAuth: [UInt8]? = nil, authorKeyEnabled: Bool = false, hostData: [UInt8]? = nil, vcekDisabled: Bool = false) {
            self.idBlock = idBlock
            self.idAuth = idAuth
            self.authorKeyEnabled = authorKeyEnabled
            self.hostData = hostData
            self.vcekDisabled = vcekDisabled
        }
    }

    /// SNP_LAUNCH_FINISH: with an ID block, the firmware checks the ID key's signature on it,
    /// the author key's on the ID key (AUTHOR_KEY_EN), that its digest is the launch digest and
    /// its policy the guest's; then binds the ID block fields and HOST_DATA to the guest.
    public mutating func launchFinish(_ finish: Finish) throws(SEVFirmwareStatus) {
        guard state == .launchUpdate else {
            throw .invalidGuestState("SNP_LAUNCH_FINISH needs state launch-update, the guest is \(state.rawValue)")
        }
        if let hostData = finish.hostData, hostData.count != 32 {
            throw .invalidLength("SNP_LAUNCH_FINISH: HOST_DATA is 32 bytes, got \(hostData.count)")
        }
        var identity: SNPLaunchIdentity?
        if let blockBytes = finish.idBlock {
            guard let authBytes = finish.idAuth else {
                throw .invalidParameter("SNP_LAUNCH_FINISH: ID_BLOCK_EN is set without an ID auth structure")
            }
            let block: IDBlock
            let auth: IDAuthInfo
            do {
                block = try IDBlock(bytes: blockBytes)
                auth = try IDAuthInfo(bytes: authBytes)
            } catch {
                throw .invalidParameter("SNP_LAUNCH_FINISH: \(error.description)")
            }
            guard block.version == IDBlock.currentVersion else {
                throw .invalidParameter("SNP_LAUNCH_FINISH: ID block VERSION \(block.version), only 1 is defined")
            }
            guard auth.signsBlock(block) else {
                throw .badSignature("SNP_LAUNCH_FINISH: the ID block's signature does not verify with the ID key in the ID auth structure")
            }
            if finish.authorKeyEnabled {
                guard auth.authorKey != nil else {
                    throw .invalidParameter("SNP_LAUNCH_FINISH: AUTHOR_KEY_EN is set and the ID auth structure holds no author key")
                }
                guard auth.authorSignsIDKey else {
                    throw .badSignature("SNP_LAUNCH_FINISH: the ID key's signature does not verify with the author key")
                }
            }
            guard block.launchDigest == launchDigest.digest else {
                throw .badMeasurement(
                    "SNP_LAUNCH_FINISH: the ID block was signed for launch digest \(Hex.encode(block.launchDigest)), this launch measured \(Hex.encode(launchDigest.digest))")
            }
            guard block.policy == policy.rawValue else {
                throw .policyFailure(
                    "SNP_LAUNCH_FINISH: the ID block's policy 0x\(String(block.policy, radix: 16)) is not the guest's \(policy.hex)")
            }
            identity = SNPLaunchIdentity(block: block, auth: auth, authorKeyEnabled: finish.authorKeyEnabled)
        } else if finish.authorKeyEnabled {
            throw .invalidParameter("SNP_LAUNCH_FINISH: AUTHOR_KEY_EN is set without an ID block")
        }
        self.identity = identity
        hostData = finish.hostData ?? Array(repeating: 0, count: 32)
        vcekDisabled = finish.vcekDisabled
        state = .running
    }

    /// MSG_REPORT_REQ from the guest: a report for `reportData` at `vmpl`, signed by the VCEK.
    public func report(reportData: [UInt8], vmpl: UInt32 = 0, platform: SimulatedSNPPlatform) throws(SEVFirmwareStatus) -> AttestationReport {
        guard state == .running else {
            throw .invalidGuestState("MSG_REPORT_REQ needs a running guest, the guest is \(state.rawValue)")
        }
        guard reportData.count == 64 else { throw .invalidLength("REPORT_DATA is 64 bytes, got \(reportData.count)") }
        guard vmpl <= 3 else { throw .invalidParameter("VMPL \(vmpl): only 0 to 3 exist") }
        guard !vcekDisabled else {
            throw .invalidParameter("the guest was launched with the VCEK disabled and this platform has no VLEK loaded")
        }
        let config = platform.configuration
        var contents = AttestationReportContents(version: config.reportVersion, policy: policy.rawValue, tcb: config.tcb)
        contents.vmpl = vmpl
        contents.reportData = reportData
        contents.measurement = launchDigest.digest
        contents.hostData = hostData
        contents.platformInfo = config.smtEnabled ? 1 : 0
        if let identity {
            contents.guestSVN = identity.block.guestSVN
            contents.familyID = identity.block.familyID
            contents.imageID = identity.block.imageID
            contents.idKeyDigest = identity.idKey.digest
            if let author = identity.authorKey {
                contents.authorKeyDigest = author.digest
                contents.keyInfo |= 1
            }
        }
        contents.reportID = reportID
        (contents.cpuidFamily, contents.cpuidModel, contents.cpuidStepping) = config.cpuid
        contents.chipID = platform.chipID
        contents.currentVersion = (config.build, config.abiMinor, config.abiMajor)
        contents.committedVersion = contents.currentVersion
        do {
            return try contents.signed(by: platform.vcekPrivateKey)
        } catch {
            throw .hardwareError("cannot sign the report: \(error)")
        }
    }
}
