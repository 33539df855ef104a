import Crypto
import _CryptoExtras
import SEVKit

/// The simulated firmware's stand-in for AMD's CA: an ARK and an ASK in AMD's CA format that
/// sign the simulated CEK, so an exported chain verifies link by link. The keys are 2048-bit
/// (AMD's Naples size, SHA-256 PSS) to keep creating a simulator quick; the ARK is of course
/// not one of AMD's, and `sevhost verify` says so.
///
/// Only the public chain is kept (`DIR/ask_ark.cert`): the CEK never changes, so nothing needs
/// the ASK's private key after it signed the CEK once.
enum SimulatedAMDCA {
    static let fileName = "ask_ark.cert"
    static let modulusBits = 2048

    /// A new ARK and ASK, and `cek` signed by the ASK (in signature slot 0, as AMD's CEKs are).
    static func make(signing cek: inout SEVPlatformCertificate) throws -> AMDCAChain {
        let arkKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let askKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let arkID = randomBytes(16), askID = randomBytes(16)
        let ark = try certificate(usage: .ark, keyID: arkID, certifyingID: arkID, key: arkKey.publicKey, signer: arkKey)
        let ask = try certificate(usage: .ask, keyID: askID, certifyingID: arkID, key: askKey.publicKey, signer: arkKey)
        let signature = try askKey.signature(for: SHA256.hash(data: cek.signedBytes), padding: .PSS)
        var slot = Array([UInt8](signature.rawRepresentation).reversed())
        slot += [UInt8](repeating: 0, count: SEVSignatureSlot.signatureSize - slot.count)
        cek.signatures[0] = SEVSignatureSlot(usage: .ask, algorithm: .rsaSHA256, signature: slot)
        return AMDCAChain(
            ask: try AMDCACertificate(bytes: ask, name: "simulated ASK"),
            ark: try AMDCACertificate(bytes: ark, name: "simulated ARK"))
    }

    /// AMD's CA layout: version, key id, certifying id, usage, reserved, exponent and modulus
    /// sizes in bits, exponent, modulus (little-endian), then the PSS signature (little-endian).
    static func certificate(
        usage: SEVKeyUsage, keyID: [UInt8], certifyingID: [UInt8], key: _RSA.Signing.PublicKey,
        signer: _RSA.Signing.PrivateKey
    ) throws -> [UInt8] {
        let primitives = try key.getKeyPrimitives()
        let size = modulusBits / 8
        var writer = ByteWriter()
        writer.write(UInt32(1))
        writer.write(bytes: keyID)
        writer.write(bytes: certifyingID)
        writer.write(usage.rawValue)
        writer.writeZeros(16)
        writer.write(UInt32(modulusBits))
        writer.write(UInt32(modulusBits))
        writer.write(bytes: littleEndian([UInt8](primitives.publicExponent), size: size))
        writer.write(bytes: littleEndian([UInt8](primitives.modulus), size: size))
        let signature = try signer.signature(for: SHA256.hash(data: writer.bytes), padding: .PSS)
        writer.write(bytes: littleEndian([UInt8](signature.rawRepresentation), size: size))
        return writer.bytes
    }

    static func littleEndian(_ bigEndian: [UInt8], size: Int) -> [UInt8] {
        let trimmed = bigEndian.drop { $0 == 0 }
        return Array(trimmed.reversed()) + [UInt8](repeating: 0, count: size - trimmed.count)
    }

    static func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
}
