import Crypto
import _CryptoExtras

/// The key derivation function of the SEV API (55766, "Key Derivation Function"): NIST
/// SP 800-108 in counter mode with HMAC-SHA256 as the PRF.
///
/// Block i (from 1) is HMAC(key, i as u32 LE ‖ label ‖ 0x00 ‖ context ‖ L as u32 LE), where
/// L is the output length in bits; blocks are concatenated and cut to `length` bytes.
public enum SEVKeyDerivation {
    public static func derive(key: [UInt8], label: String, context: [UInt8], length: Int) -> [UInt8] {
        let symmetricKey = SymmetricKey(data: key)
        var output: [UInt8] = []
        var counter: UInt32 = 1
        while output.count < length {
            var message = ByteWriter()
            message.write(counter)
            message.write(bytes: Array(label.utf8))
            message.write(UInt8(0))
            message.write(bytes: context)
            message.write(UInt32(length * 8))
            output += HMAC<SHA256>.authenticationCode(for: message.bytes, using: symmetricKey)
            counter += 1
        }
        return Array(output.prefix(length))
    }

    /// HMAC-SHA256, the MAC every SEV launch structure uses.
    public static func mac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// AES-128-CTR with the whole 128-bit IV as the big-endian counter, as the firmware uses
    /// it. Encryption and decryption are the same operation.
    public static func aes128CTR(key: [UInt8], iv: [UInt8], _ input: [UInt8]) -> [UInt8] {
        precondition(key.count == 16 && iv.count == 16, "AES-128-CTR takes a 16-byte key and IV")
        // Both sizes are checked above, the only failures swift-crypto reports.
        let nonce = try! AES._CTR.Nonce(nonceBytes: iv)
        return [UInt8](try! AES._CTR.encrypt(input, using: SymmetricKey(data: key), nonce: nonce))
    }
}
