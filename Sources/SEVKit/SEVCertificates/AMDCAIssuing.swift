import Crypto
import _CryptoExtras

/// Issuing in AMD's CA format: an ARK or ASK for an RSA key, and the ASK's RSA signature on a
/// CEK. AMD does this in its key-signing service; sevhost's two software firmwares (sevhost-sim's
/// `SEVLaunchSimulator` and the `--firmware sim:DIR` `SEVPlatformSimulator`) each stand up a test CA
/// of their own that must look and verify exactly like AMD's.
///
/// One piece of code serves both simulators so that their chains share one layout, AMD's (the
/// exponent field is as wide as the modulus, as in every published ARK and ASK), and are checked
/// by `SEVCertificateVerifier` under the same rules as a real chain.
extension AMDCACertificate {
    /// A certificate for `key`, issued by `signer` (itself for an ARK) with RSASSA-PSS over the
    /// preamble, exponent and modulus: SHA-256 for a 2048-bit signer, SHA-384 for a 4096-bit one.
    ///
    /// The certificate is built as bytes and decoded back, so the result is exactly what a
    /// reader of the format sees; `name` appears in a decoding error.
    public init(
        issuing key: _RSA.Signing.PublicKey, keyID: [UInt8], certifyingID: [UInt8], usage: SEVKeyUsage,
        signedBy signer: _RSA.Signing.PrivateKey, name: String
    ) throws {
        let primitives = try key.getKeyPrimitives()
        let modulusBits = key.keySizeInBits
        let size = modulusBits / 8
        var writer = ByteWriter()
        writer.write(UInt32(1))
        writer.write(bytes: keyID)
        writer.write(bytes: certifyingID)
        writer.write(usage.rawValue)
        writer.writeZeros(16)
        writer.write(UInt32(modulusBits))
        writer.write(UInt32(modulusBits))
        writer.write(bytes: Self.littleEndian([UInt8](primitives.publicExponent), size: size))
        writer.write(bytes: Self.littleEndian([UInt8](primitives.modulus), size: size))
        let signature = try Self.pssSignature(over: writer.bytes, by: signer)
        writer.write(bytes: Self.littleEndian(signature, size: signer.keySizeInBits / 8))
        try self.init(bytes: writer.bytes, name: name)
    }

    /// A big-endian integer as the format stores it: little-endian, zero-padded to `size` bytes.
    static func littleEndian(_ bigEndian: [UInt8], size: Int) -> [UInt8] {
        let trimmed = bigEndian.drop { $0 == 0 }
        return Array(trimmed.reversed()) + [UInt8](repeating: 0, count: size - trimmed.count)
    }

    /// RSASSA-PSS (big-endian) with the digest AMD pairs with the signer's key size.
    static func pssSignature(over message: [UInt8], by signer: _RSA.Signing.PrivateKey) throws -> [UInt8] {
        let signature = signer.keySizeInBits == 2048
            ? try signer.signature(for: SHA256.hash(data: message), padding: .PSS)
            : try signer.signature(for: SHA384.hash(data: message), padding: .PSS)
        return [UInt8](signature.rawRepresentation)
    }
}

extension SEVPlatformCertificate {
    /// Puts the RSA-PSS signature of `signer` (an ASK's key) into slot `slot`, as AMD signs a
    /// CEK: little-endian, in the low bytes of the 512-byte field, algorithm RSA-SHA256 for a
    /// 2048-bit key and RSA-SHA384 for a 4096-bit one.
    public mutating func sign(slot: Int, with signer: _RSA.Signing.PrivateKey, usage signerUsage: SEVKeyUsage) throws {
        let signature = try AMDCACertificate.pssSignature(over: signedBytes, by: signer)
        signatures[slot] = SEVSignatureSlot(
            usage: signerUsage, algorithm: signer.keySizeInBits == 2048 ? .rsaSHA256 : .rsaSHA384,
            signature: AMDCACertificate.littleEndian(signature, size: SEVSignatureSlot.signatureSize))
    }
}
