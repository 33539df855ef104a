import Crypto
import _CryptoExtras
import Foundation

/// Signature checks between legacy SEV certificates.
///
/// A signer only counts for a slot whose recorded usage is the signer's usage, whose algorithm
/// uses the signer's kind of key and whose digest is the signer's digest; the cryptographic
/// check comes after. The pre-checks are what stop an ASK of one product "verifying" a CEK of
/// another, or a PDH passing for its own signer.
public enum SEVCertificateVerifier {
    /// Checks that `signer` (an OCA, PEK or CEK) signed `subject`.
    public static func verify(_ subject: SEVPlatformCertificate, signedBy signer: SEVPlatformCertificate) -> SEVLinkVerdict {
        guard signer.algorithm.keyKind == .ecdsa, let digest = signer.algorithm.digest else {
            return .invalid(reason: "the \(signer.usage) key (\(signer.algorithm)) cannot sign")
        }
        let key: P384.Signing.PublicKey
        do {
            key = try signer.ecPublicKey().signingKey(certificate: "\(signer.usage) certificate")
        } catch {
            return .invalid(reason: error.description)
        }
        var tried = false
        for slot in subject.signatures where !slot.isEmpty {
            guard slot.usage == signer.usage, slot.algorithm.keyKind == .ecdsa, slot.algorithm.digest == digest else { continue }
            tried = true
            if verifyECDSA(slot.signature, key: key, digest: digest, message: subject.signedBytes) { return .valid }
        }
        return tried
            ? .invalid(reason: "the \(signer.usage) signature on the \(subject.usage) does not verify")
            : .invalid(reason: "the \(subject.usage) carries no \(signer.usage) signature (\(signer.algorithm))")
    }

    /// Checks that `signer` (an ASK) signed `subject` (a CEK).
    public static func verify(_ subject: SEVPlatformCertificate, signedBy signer: AMDCACertificate) -> SEVLinkVerdict {
        let key: _RSA.Signing.PublicKey
        switch rsaKey(signer) {
        case .success(let value): key = value
        case .failure(let verdict): return verdict
        }
        var tried = false
        for slot in subject.signatures where !slot.isEmpty {
            guard slot.usage == signer.usage, slot.algorithm.keyKind == .rsa, slot.algorithm.digest == signer.digest else { continue }
            tried = true
            let littleEndian = slot.signature
            let length = Int(signer.modulusBits / 8)
            // The slot holds a 4096-bit field; a shorter signature sits in its low bytes.
            guard littleEndian[length...].allSatisfy({ $0 == 0 }) else { continue }
            let signature = Array(littleEndian[0..<length].reversed())
            if verifyPSS(signature, key: key, digest: signer.digest, message: subject.signedBytes) { return .valid }
        }
        return tried
            ? .invalid(reason: "the \(signer.usage) signature on the \(subject.usage) does not verify")
            : .invalid(reason: "the \(subject.usage) carries no \(signer.usage) signature (RSA-\(signer.digest == .sha256 ? "SHA256" : "SHA384"))")
    }

    /// Checks that `signer` (an ARK) signed `subject` (an ASK, or itself).
    public static func verify(_ subject: AMDCACertificate, signedBy signer: AMDCACertificate) -> SEVLinkVerdict {
        guard signer.usage == .ark else {
            return .invalid(reason: "only an ARK signs AMD CA certificates, the signer is an \(signer.usage)")
        }
        guard subject.certifyingID == signer.keyID else {
            return .invalid(reason: "the \(subject.usage) is certified by key id \(Hex.encode(subject.certifyingID)), the \(signer.usage) is \(Hex.encode(signer.keyID))")
        }
        guard subject.signature.count == Int(signer.modulusBits / 8) else {
            return .invalid(reason: "the \(subject.usage) signature is \(subject.signature.count) bytes, the \(signer.usage) key needs \(signer.modulusBits / 8)")
        }
        let key: _RSA.Signing.PublicKey
        switch rsaKey(signer) {
        case .success(let value): key = value
        case .failure(let verdict): return verdict
        }
        return verifyPSS(Array(subject.signature.reversed()), key: key, digest: signer.digest, message: subject.signedBytes)
            ? .valid
            : .invalid(reason: "the \(signer.usage) signature on the \(subject.usage) does not verify")
    }

    // MARK: - Primitives

    private enum KeyResult { case success(_RSA.Signing.PublicKey), failure(SEVLinkVerdict) }

    private static func rsaKey(_ certificate: AMDCACertificate) -> KeyResult {
        do {
            let key = try _RSA.Signing.PublicKey(
                n: Data(certificate.modulus.reversed()), e: Data(certificate.publicExponent.reversed()))
            return .success(key)
        } catch {
            return .failure(.invalid(reason: "the \(certificate.usage) RSA key is not usable: \(error)"))
        }
    }

    static func verifyPSS(_ signature: [UInt8], key: _RSA.Signing.PublicKey, digest: SEVDigest, message: [UInt8]) -> Bool {
        let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch digest {
        case .sha256: return key.isValidSignature(rsaSignature, for: SHA256.hash(data: message), padding: .PSS)
        case .sha384: return key.isValidSignature(rsaSignature, for: SHA384.hash(data: message), padding: .PSS)
        }
    }

    /// `slot` holds r and s as 72-byte little-endian integers (then reserved bytes).
    static func verifyECDSA(_ slot: [UInt8], key: P384.Signing.PublicKey, digest: SEVDigest, message: [UInt8]) -> Bool {
        let r = slot[0..<72], s = slot[72..<144]
        guard r[r.startIndex + 48 ..< r.endIndex].allSatisfy({ $0 == 0 }),
              s[s.startIndex + 48 ..< s.endIndex].allSatisfy({ $0 == 0 })
        else { return false }
        let raw = Array(r[r.startIndex ..< r.startIndex + 48].reversed()) + Array(s[s.startIndex ..< s.startIndex + 48].reversed())
        guard let signature = try? P384.Signing.ECDSASignature(rawRepresentation: raw) else { return false }
        switch digest {
        case .sha256: return key.isValidSignature(signature, for: SHA256.hash(data: message))
        case .sha384: return key.isValidSignature(signature, for: SHA384.hash(data: message))
        }
    }

    /// The 512-byte ECDSA slot for a signature: r and s little-endian in 72 bytes each.
    static func encodeECDSA(_ signature: P384.Signing.ECDSASignature) -> [UInt8] {
        let raw = [UInt8](signature.rawRepresentation)
        var writer = ByteWriter(capacity: SEVSignatureSlot.signatureSize)
        writer.write(bytes: raw[0..<48].reversed())
        writer.writeZeros(24)
        writer.write(bytes: raw[48..<96].reversed())
        writer.writeZeros(24)
        writer.pad(to: SEVSignatureSlot.signatureSize)
        return writer.bytes
    }
}
