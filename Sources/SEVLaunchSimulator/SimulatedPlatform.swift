import AtomicFiles
import Crypto
import Foundation
import SEVKit

/// A simulated SEV platform: its firmware version, its keys and the certificate chain the
/// firmware exports (PDH ← PEK ← OCA/CEK ← ASK ← ARK), every signature real.
///
/// The ARK is a test root generated into the state directory, not AMD's: a guest owner's tool
/// that checks roots against AMD's published ARKs rejects this chain, as it must.
public struct SimulatedPlatform: Sendable {
    /// The firmware's SEV API version and build, as `query-sev` reports them and as the
    /// LAUNCH_MEASURE HMAC covers them.
    public static let apiMajor: UInt8 = 1
    public static let apiMinor: UInt8 = 55
    public static let buildID: UInt8 = 21

    public let keys: SimulatedPlatformKeys
    public let chain: SEVPlatformChain
    public let ca: AMDCAChain
    /// The 64-byte chip id (`GET_ID`), derived from the CEK so it is stable per state directory.
    public let chipID: [UInt8]

    public init(keys: SimulatedPlatformKeys) throws(SimulatorError) {
        self.keys = keys
        do {
            let authority = try keys.amdCA()
            ca = authority.chain

            let cekKey = try P384.Signing.PrivateKey(rawRepresentation: keys.cek)
            let ocaKey = try P384.Signing.PrivateKey(rawRepresentation: keys.oca)
            let pekKey = try P384.Signing.PrivateKey(rawRepresentation: keys.pek)
            let pdhKey = try P384.KeyAgreement.PrivateKey(rawRepresentation: keys.pdh)

            var cek = SEVPlatformCertificate(usage: .cek, ecdsaKey: cekKey.publicKey, apiMajor: Self.apiMajor, apiMinor: Self.apiMinor)
            try authority.sign(&cek)
            let oca = try SEVPlatformCertificate.selfSignedOCA(key: ocaKey, apiMajor: Self.apiMajor, apiMinor: Self.apiMinor)
            let pek = try SEVPlatformCertificate.pek(
                key: pekKey.publicKey, oca: ocaKey, cek: cekKey, apiMajor: Self.apiMajor, apiMinor: Self.apiMinor)
            let pdh = try SEVPlatformCertificate.pdh(key: pdhKey.publicKey, pek: pekKey, apiMajor: Self.apiMajor, apiMinor: Self.apiMinor)
            chain = SEVPlatformChain(pdh: pdh, pek: pek, oca: oca, cek: cek)
            chipID = Array(SHA512.hash(data: cekKey.publicKey.x963Representation))
        } catch let error as SimulatorError {
            throw error
        } catch {
            throw .state("platform keys are unusable: \(error)")
        }
    }

    /// The certificates as they were first signed: ECDSA signatures are randomised, so a
    /// platform that re-signed at every start would present a new PDH certificate each time,
    /// which no firmware does.
    private init(keys: SimulatedPlatformKeys, certificates: SEVChainFile, name: String) throws(SimulatorError) {
        guard let ca = certificates.ca else { throw .state("\(name): holds no ASK and ARK") }
        let fresh = try SimulatedPlatform(keys: keys)
        guard certificates.platform.pdh.publicKeyField == fresh.chain.pdh.publicKeyField,
              certificates.platform.cek.publicKeyField == fresh.chain.cek.publicKeyField,
              ca.ark.modulus == fresh.ca.ark.modulus
        else {
            throw .state("\(name): the certificates are not those of \(SimulatedPlatformKeys.fileName)")
        }
        self.keys = keys
        self.chain = certificates.platform
        self.ca = ca
        self.chipID = fresh.chipID
    }

    /// The file holding PDH, PEK, OCA, CEK, ASK, ARK (as `sevctl export --full` writes them).
    public static let chainFileName = "chain.cert"

    /// The platform of a state directory: keys and certificates made on first use, then kept.
    public init(stateDirectory: String) throws(SimulatorError) {
        let keys = try SimulatedPlatformKeys.loadOrCreate(directory: stateDirectory)
        let path = (stateDirectory as NSString).appendingPathComponent(Self.chainFileName)
        if let data = try SimulatorError.reading(path, .sevCertificates) {
            let certificates: SEVChainFile
            do {
                certificates = try SEVChainFile(bytes: data, name: path)
            } catch {
                throw .state(error.description)
            }
            try self.init(keys: keys, certificates: certificates, name: path)
        } else {
            try self.init(keys: keys)
            try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write(chain.encoded + ca.encoded, to: path) }
        }
    }

    /// The PDH private key, for LAUNCH_START's ECDH.
    var pdhPrivateKey: P384.KeyAgreement.PrivateKey {
        // The scalar was validated when the chain was built.
        try! P384.KeyAgreement.PrivateKey(rawRepresentation: keys.pdh)
    }

    /// What `query-sev-capabilities` calls `cert-chain`: PEK, OCA, CEK as PDH_CERT_EXPORT returns them.
    public var exportedCertificateChain: [UInt8] { chain.pek.encoded + chain.oca.encoded + chain.cek.encoded }
}
