import Crypto
import SEVKit

/// One guest's launch on the simulated firmware: the commands QEMU (through KVM) issues for an
/// SEV or SEV-ES guest, with the checks and the cryptography the PSP applies.
///
/// LAUNCH_START unwraps the guest owner's TEK and TIK (ECDH of the GODH with the PDH, the SEV
/// KDF, WRAP_MAC and POLICY_MAC checked); LAUNCH_UPDATE_DATA/VMSA extend the SHA-256 launch
/// digest; LAUNCH_MEASURE MACs it with the TIK and a fresh MNONCE; LAUNCH_SECRET checks the
/// packet MAC against that measurement and decrypts with the TEK. A command in the wrong state,
/// or a MAC that does not verify, is refused with the firmware's status, changing nothing.
///
/// A value type: the owner (the QMP side) serialises access.
public struct SimulatedGuest: Sendable {
    public private(set) var state: SimulatedGuestState = .uninit
    public private(set) var policy: UInt32 = 0
    /// The digest of everything measured so far, final after LAUNCH_MEASURE.
    public private(set) var launchDigest: [UInt8]?
    public private(set) var measurement: LaunchMeasurement?
    /// The handle the firmware assigned (QEMU reports it in `query-sev`).
    public let handle: UInt32
    /// The VMSA pages LAUNCH_UPDATE_VMSA measured, in order (SEV-ES), for tests to inspect.
    public private(set) var measuredVMSAs: [[UInt8]] = []

    private var tek: [UInt8] = []
    private var tik: [UInt8] = []
    private var measured: [UInt8] = []

    public init(handle: UInt32 = 1) {
        self.handle = handle
    }

    /// LAUNCH_START. With `godh` and `session` the guest owner's keys are unwrapped; without
    /// them the firmware picks its own (nobody can then verify the measurement).
    public mutating func launchStart(
        platform: SimulatedPlatform, policy: UInt32, godh: SEVPlatformCertificate?, session: LaunchSessionBlob?
    ) throws(SEVFirmwareStatus) {
        guard state == .uninit else { throw .invalidGuestState("LAUNCH_START needs state uninit, the guest is \(state.rawValue)") }
        let minimumMajor = UInt8((policy >> 16) & 0xff), minimumMinor = UInt8((policy >> 24) & 0xff)
        if (minimumMajor, minimumMinor) > (SimulatedPlatform.apiMajor, SimulatedPlatform.apiMinor) {
            throw .policyFailure(
                "the policy requires firmware API \(minimumMajor).\(minimumMinor), this firmware is \(SimulatedPlatform.apiMajor).\(SimulatedPlatform.apiMinor)")
        }
        if let godh, let session {
            guard godh.usage == .pdh, godh.algorithm.keyKind == .ecdh else {
                throw .invalidCertificate("the GODH certificate is not an ECDH key (usage \(godh.usage), algorithm \(godh.algorithm))")
            }
            let ownerKey: P384.KeyAgreement.PublicKey
            do {
                ownerKey = try godh.ecPublicKey(name: "GODH certificate").agreementKey(certificate: "GODH certificate")
            } catch {
                throw .invalidCertificate(error.description)
            }
            let z: [UInt8]
            do {
                z = try platform.pdhPrivateKey.sharedSecretFromKeyAgreement(with: ownerKey).withUnsafeBytes { Array($0) }
            } catch {
                throw .invalidCertificate("ECDH with the GODH key failed")
            }
            let keys = SessionKeyEncryptionKeys(sharedSecret: z, nonce: session.nonce)
            guard Self.equal(SEVKeyDerivation.mac(key: keys.kik, session.wrappedKeys), session.wrapMAC) else {
                throw .badMeasurement("LAUNCH_START: WRAP_MAC does not verify (the session was not made for this platform's PDH)")
            }
            let unwrapped = SEVKeyDerivation.aes128CTR(key: keys.kek, iv: session.wrapIV, session.wrappedKeys)
            let tek = Array(unwrapped[0..<16]), tik = Array(unwrapped[16..<32])
            guard Self.equal(SEVKeyDerivation.mac(key: tik, policy.littleEndianBytes), session.policyMAC) else {
                throw .policyFailure("LAUNCH_START: POLICY_MAC does not verify (the session was made for another policy)")
            }
            self.tek = tek
            self.tik = tik
        } else if godh != nil || session != nil {
            throw .invalidParameter("LAUNCH_START: a GODH certificate and a session go together")
        } else {
            tek = Self.random(16)
            tik = Self.random(16)
        }
        self.policy = policy
        state = .launchUpdate
    }

    /// LAUNCH_UPDATE_DATA: measures (and, on hardware, encrypts) guest memory.
    public mutating func launchUpdateData(_ bytes: [UInt8]) throws(SEVFirmwareStatus) {
        guard state == .launchUpdate else {
            throw .invalidGuestState("LAUNCH_UPDATE_DATA needs state launch-update, the guest is \(state.rawValue)")
        }
        measured += bytes
    }

    /// LAUNCH_UPDATE_VMSA (SEV-ES): measures one vCPU's initial register state.
    public mutating func launchUpdateVMSA(_ page: [UInt8]) throws(SEVFirmwareStatus) {
        guard state == .launchUpdate else {
            throw .invalidGuestState("LAUNCH_UPDATE_VMSA needs state launch-update, the guest is \(state.rawValue)")
        }
        guard SEVGuestPolicy(rawValue: policy).contains(SEVGuestPolicy.encryptedState) else {
            throw .policyFailure("LAUNCH_UPDATE_VMSA: the policy does not ask for SEV-ES")
        }
        guard page.count == VMSA.pageSize else { throw .invalidLength("a VMSA is \(VMSA.pageSize) bytes, got \(page.count)") }
        measured += page
        measuredVMSAs.append(page)
    }

    /// LAUNCH_MEASURE: HMAC(TIK, 0x04 ‖ API ‖ build ‖ policy ‖ digest ‖ MNONCE) with a fresh MNONCE.
    public mutating func launchMeasure(mnonce: [UInt8] = SimulatedGuest.random(16)) throws(SEVFirmwareStatus) -> LaunchMeasurement {
        guard state == .launchUpdate else {
            throw .invalidGuestState("LAUNCH_MEASURE needs state launch-update, the guest is \(state.rawValue)")
        }
        let digest = Array(SHA256.hash(data: measured))
        measured = []
        let result = LaunchMeasurement.expected(
            tik: tik, apiMajor: SimulatedPlatform.apiMajor, apiMinor: SimulatedPlatform.apiMinor,
            buildID: SimulatedPlatform.buildID, policy: policy, launchDigest: digest, mnonce: mnonce)
        launchDigest = digest
        measurement = result
        state = .launchSecret
        return result
    }

    /// LAUNCH_SECRET: checks the packet's MAC (bound to this launch's measurement) and returns
    /// the decrypted secret as the guest will read it.
    public func launchSecret(header: [UInt8], payload: [UInt8]) throws(SEVFirmwareStatus) -> [UInt8] {
        guard state == .launchSecret, let measurement else {
            throw .invalidGuestState("LAUNCH_SECRET needs state launch-secret, the guest is \(state.rawValue)")
        }
        guard header.count == LaunchSecretPacket.headerSize else {
            throw .invalidLength("packet header: expected \(LaunchSecretPacket.headerSize) bytes, got \(header.count)")
        }
        guard !payload.isEmpty, payload.count % 16 == 0 else {
            throw .invalidLength("secret: expected a non-empty multiple of 16 bytes, got \(payload.count)")
        }
        let flags = UInt32(littleEndianBytes: header[0..<4])
        let iv = Array(header[4..<20]), mac = Array(header[20..<52])
        guard flags == 0 else { throw .invalidParameter("packet header: flags 0x\(String(flags, radix: 16)) (compression is not supported)") }
        let plaintext = SEVKeyDerivation.aes128CTR(key: tek, iv: iv, payload)
        let expected: [UInt8]
        do {
            expected = try LaunchSecretPacket(
                plaintext: plaintext, tek: tek, tik: tik, measurement: measurement.measurement, iv: iv, flags: flags).mac
        } catch {
            throw .invalidParameter("packet header: \(error)")
        }
        guard Self.equal(expected, mac) else {
            throw .badMeasurement("LAUNCH_SECRET: the packet MAC does not verify against this launch's TIK and measurement")
        }
        return plaintext
    }

    /// LAUNCH_FINISH: the guest runs; no more secrets.
    public mutating func launchFinish() throws(SEVFirmwareStatus) {
        guard state == .launchSecret else {
            throw .invalidGuestState("LAUNCH_FINISH needs state launch-secret, the guest is \(state.rawValue)")
        }
        state = .running
        tek = []
        tik = []
    }

    public static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Constant-time comparison of two MACs.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
