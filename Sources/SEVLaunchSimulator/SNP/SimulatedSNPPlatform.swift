import AtomicFiles
import Crypto
import Foundation
import SEVKit
import _CryptoExtras

/// A simulated SEV-SNP platform: one chip of one product at one TCB, its AMD-SP firmware
/// version and configuration, and the keys behind its attestation reports: a VCEK derived from
/// the chip's secret and the TCB (as AMD derives the real one), certified by a simulated ASK and
/// ARK in AMD's X.509 format (RSA, RSASSA-PSS), so a report verifies under the same rules as a
/// real one.
///
/// The ARK is generated here, never AMD's: every verifier that pins AMD's roots refuses it, and
/// sevhost accepts it only when a user names it as a test root.
public struct SimulatedSNPPlatform: Sendable {
    /// What the platform is: product, TCB, firmware version, SMT and sockets.
    public struct Configuration: Codable, Hashable, Sendable {
        public var product: AMDProduct
        public var bootloader: UInt8
        public var tee: UInt8
        public var snp: UInt8
        public var microcode: UInt8
        /// Turin only.
        public var fmc: UInt8?
        /// The SNP firmware ABI version and build (SNP_PLATFORM_STATUS).
        public var abiMajor: UInt8
        public var abiMinor: UInt8
        public var build: UInt8
        public var smtEnabled: Bool
        public var sockets: Int

        public init(
            product: AMDProduct, bootloader: UInt8, tee: UInt8, snp: UInt8, microcode: UInt8, fmc: UInt8? = nil,
            abiMajor: UInt8, abiMinor: UInt8, build: UInt8, smtEnabled: Bool = true, sockets: Int = 1
        ) {
            self.product = product
            self.bootloader = bootloader
            self.tee = tee
            self.snp = snp
            self.microcode = microcode
            self.fmc = product == .turin ? (fmc ?? 0) : nil
            self.abiMajor = abiMajor
            self.abiMinor = abiMinor
            self.build = build
            self.smtEnabled = smtEnabled
            self.sockets = sockets
        }

        /// A Milan host with firmware 1.55 (reports of version 3).
        public static let milan = Configuration(product: .milan, bootloader: 3, tee: 0, snp: 8, microcode: 115, abiMajor: 1, abiMinor: 55, build: 21)
        /// A Genoa host with firmware 1.55.
        public static let genoa = Configuration(product: .genoa, bootloader: 7, tee: 0, snp: 14, microcode: 72, abiMajor: 1, abiMinor: 55, build: 37)
        /// A Turin host with firmware 1.58 (reports of version 5, TCB with an FMC level).
        public static let turin = Configuration(product: .turin, bootloader: 1, tee: 0, snp: 3, microcode: 9, fmc: 0, abiMajor: 1, abiMinor: 58, build: 3)

        public var tcb: TCBVersion {
            TCBVersion(layout: TCBVersion.Layout(product: product), fmc: fmc, bootloader: bootloader, tee: tee, snp: snp, microcode: microcode)
        }

        /// ATTESTATION_REPORT version the firmware writes: 5 from firmware 1.58 (mitigation
        /// vectors), else 3 (CPUID family, model and stepping).
        public var reportVersion: UInt32 { (abiMajor, abiMinor) >= (1, 58) ? 5 : 3 }

        /// CPUID family, model and stepping of the chip, as version 3 reports carry them.
        public var cpuid: (family: UInt8, model: UInt8, stepping: UInt8) {
            switch product {
            case .turin: (0x1a, 0x02, 0x1)
            case .genoa: (0x19, 0x11, 0x1)
            default: (0x19, 0x01, 0x1)
            }
        }

        /// The VCEK's productName, as KDS writes it.
        public var productName: String {
            switch product {
            case .turin: "Turin"
            case .genoa: "Genoa-B1"
            default: "Milan-B0"
            }
        }
    }

    public let configuration: Configuration
    /// CHIP_ID as reports carry it: 64 bytes, of which a Turin chip uses the first 8.
    public let chipID: [UInt8]
    public let ark: SNPCertificate
    public let ask: SNPCertificate
    /// The VCEK for the platform's TCB.
    public let vcek: SNPCertificate

    private let chipSecret: [UInt8]
    private let askKeyPEM: String

    /// The secret of one chip, from which its chip id and every VCEK are derived.
    static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<48).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The simulated AMD root and signing key that certify chips: shared by every chip of one
    /// simulated product line, so a report from another chip still chains to the same root.
    public struct Authority: Sendable {
        public let ark: SNPCertificate
        public let ask: SNPCertificate
        let askKeyPEM: String
        let arkKeyPEM: String

        /// A fresh root and ASK for `product`. RSA keys as AMD's (4096 bits unless a test asks
        /// for 2048 or 3072 to save time).
        public static func generate(product: AMDProduct, rsaBits: Int = 4096, now: Date = Date()) throws -> Authority {
            let keySize: _RSA.Signing.KeySize = rsaBits == 2048 ? .bits2048 : rsaBits == 3072 ? .bits3072 : .bits4096
            let arkKey = try _RSA.Signing.PrivateKey(keySize: keySize)
            let askKey = try _RSA.Signing.PrivateKey(keySize: keySize)
            let notAfter = now.addingTimeInterval(25 * 365 * 86400)
            let arkSubject = subject("ARK-\(product.rawValue)", now, notAfter)
            let askSubject = subject("SEV-\(product.rawValue)", now, notAfter)
            let ark = try SNPCertificateIssuing.root(key: arkKey, subject: arkSubject, serial: serial())
            let ask = try SNPCertificateIssuing.intermediate(
                key: askKey.publicKey, subject: askSubject, issuer: arkSubject, issuerKey: arkKey, serial: serial())
            return Authority(ark: ark, ask: ask, askKeyPEM: askKey.pemRepresentation, arkKeyPEM: arkKey.pemRepresentation)
        }

        private static func serial() -> [UInt8] {
            var generator = SystemRandomNumberGenerator()
            return [UInt8.random(in: 1...0x7f, using: &generator)] + (0..<15).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
    }

    static let organization = "sevhost simulated AMD-SP (not Advanced Micro Devices)"

    static func subject(_ commonName: String, _ notBefore: Date, _ notAfter: Date) -> SNPCertificateIssuing.Subject {
        // A day of slack, as KDS backdates: a verifier whose clock is a little behind still accepts it.
        SNPCertificateIssuing.Subject(
            commonName: commonName, organization: organization, notBefore: notBefore.addingTimeInterval(-86400), notAfter: notAfter)
    }

    /// A chip certified by `authority`, with a fresh secret unless one is given.
    public init(configuration: Configuration, authority: Authority, chipSecret: [UInt8]? = nil, now: Date = Date()) throws {
        let secret = chipSecret ?? Self.randomSecret()
        try self.init(configuration: configuration, ark: authority.ark, ask: authority.ask, askKeyPEM: authority.askKeyPEM,
                      chipSecret: secret, vcek: nil, now: now)
    }

    private init(
        configuration: Configuration, ark: SNPCertificate, ask: SNPCertificate, askKeyPEM: String, chipSecret: [UInt8],
        vcek: SNPCertificate?, now: Date
    ) throws {
        self.configuration = configuration
        self.ark = ark
        self.ask = ask
        self.askKeyPEM = askKeyPEM
        self.chipSecret = chipSecret
        var id = Array(SHA512.hash(data: Array("sevhost simulated chip id".utf8) + chipSecret))
        if configuration.product == .turin {
            id = Array(id.prefix(8)) + Array(repeating: 0, count: 56)
        }
        chipID = id
        if let vcek {
            self.vcek = vcek
        } else {
            let key = try Self.vcekKey(secret: chipSecret, configuration: configuration, tcb: configuration.tcb)
            let askKey = try _RSA.Signing.PrivateKey(pemRepresentation: askKeyPEM)
            self.vcek = try SNPCertificateIssuing.vcek(
                key: key.publicKey,
                claims: .init(productName: configuration.productName, tcb: configuration.tcb,
                              hardwareID: configuration.product == .turin ? Array(id.prefix(8)) : id),
                subject: Self.subject("SEV-VCEK", now, now.addingTimeInterval(7 * 365 * 86400)),
                issuer: SNPCertificateIssuing.Subject(
                    commonName: "SEV-\(configuration.product.rawValue)", organization: Self.organization,
                    notBefore: ask.notBefore, notAfter: ask.notAfter),
                issuerKey: askKey)
        }
    }

    /// The VCEK's private key for `tcb`: HKDF-SHA384 of the chip secret and the TCB, so another
    /// TCB (or another chip) gives another key, as with AMD's derivation.
    static func vcekKey(secret: [UInt8], configuration: Configuration, tcb: TCBVersion) throws -> P384.Signing.PrivateKey {
        for counter in UInt8(0)...UInt8(255) {
            let info = Array("VCEK".utf8) + tcb.raw.littleEndianBytes + Array(configuration.product.rawValue.utf8) + [counter]
            let scalar = HKDF<SHA384>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: secret), salt: Array("sevhost simulated AMD-SP".utf8), info: info,
                outputByteCount: 48)
            // A scalar outside 1..<n (probability about 2^-190) takes the next counter.
            if let key = try? P384.Signing.PrivateKey(rawRepresentation: scalar.withUnsafeBytes { Array($0) }) { return key }
        }
        throw SimulatorError.state("cannot derive a VCEK")
    }

    /// The key that signs reports at the platform's TCB.
    var vcekPrivateKey: P384.Signing.PrivateKey {
        // Derived and certified when the platform was made; the derivation is deterministic.
        try! Self.vcekKey(secret: chipSecret, configuration: configuration, tcb: configuration.tcb)
    }

    /// ARK, ASK and VCEK, as a verifier wants them in a certificate directory.
    public var certificates: [SNPCertificate] { [ark, ask, vcek] }

    // MARK: - State directory

    /// The file inside a state directory.
    public static let fileName = "snp-platform.json"

    private struct Stored: Codable {
        var version: Int
        var configuration: Configuration
        var chipSecret: String
        var arkKey: String
        var askKey: String
        var ark: String
        var ask: String
        var vcek: String
    }

    /// The platform of a state directory: made on first use (with `configuration`), then kept,
    /// so the chip keeps its identity and certificates across launches. The file is 0600: it
    /// holds the simulated AMD keys and the chip secret.
    public init(stateDirectory: String, configuration: Configuration = .milan) throws(SimulatorError) {
        let path = (stateDirectory as NSString).appendingPathComponent(Self.fileName)
        if let data = FileManager.default.contents(atPath: path) {
            guard let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.version == 1,
                  let secret = Hex.decode(stored.chipSecret),
                  let ark = try? SNPCertificate.decodeAll(Array(stored.ark.utf8)).first,
                  let ask = try? SNPCertificate.decodeAll(Array(stored.ask.utf8)).first,
                  let vcek = try? SNPCertificate.decodeAll(Array(stored.vcek.utf8)).first
            else {
                throw .state("\(path): not a sevhost-sim SNP platform file (version 1)")
            }
            do {
                try self.init(configuration: stored.configuration, ark: ark, ask: ask, askKeyPEM: stored.askKey,
                              chipSecret: secret, vcek: vcek, now: Date())
            } catch {
                throw .state("\(path): \(error)")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            let authority = try Authority.generate(product: configuration.product)
            try self.init(configuration: configuration, authority: authority)
            let stored = Stored(
                version: 1, configuration: configuration, chipSecret: Hex.encode(chipSecret), arkKey: authority.arkKeyPEM,
                askKey: authority.askKeyPEM, ark: ark.pem, ask: ask.pem, vcek: vcek.pem)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let bytes = [UInt8](try encoder.encode(stored))
            try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write(bytes, to: path, mode: AtomicFile.secretMode) }
        } catch let error as SimulatorError {
            throw error
        } catch {
            throw .state("\(stateDirectory): cannot create the SNP platform: \(error)")
        }
    }
}
