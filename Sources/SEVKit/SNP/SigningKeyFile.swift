import Crypto

/// Loads a P-384 key from PEM as guest owners keep them: SEC1 (`EC PRIVATE KEY`, what
/// `openssl ecparam -genkey` writes) or PKCS#8 (`PRIVATE KEY`); a public key (`PUBLIC KEY`) is
/// enough for a digest.
public enum SigningKeyFile {
    public static func privateKey(pem: String, name: String) throws(IDBlockError) -> P384.Signing.PrivateKey {
        do { return try P384.Signing.PrivateKey(pemRepresentation: firstBlock(pem, excluding: "EC PARAMETERS")) } catch {
            throw IDBlockError("\(name): not a P-384 private key in PEM (SEC1 'EC PRIVATE KEY' or PKCS#8 'PRIVATE KEY')")
        }
    }

    public static func publicKey(pem: String, name: String) throws(IDBlockError) -> P384.Signing.PublicKey {
        if pem.contains("-----BEGIN PUBLIC KEY-----") {
            do { return try P384.Signing.PublicKey(pemRepresentation: firstBlock(pem, excluding: "EC PARAMETERS")) } catch {
                throw IDBlockError("\(name): not a P-384 public key in PEM")
            }
        }
        return try privateKey(pem: pem, name: name).publicKey
    }

    /// `openssl ecparam -genkey` prepends an `EC PARAMETERS` block; swift-crypto takes one block.
    private static func firstBlock(_ pem: String, excluding type: String) -> String {
        guard let start = pem.range(of: "-----END \(type)-----") else { return pem }
        return String(pem[start.upperBound...]).trimmingLeadingWhitespace()
    }
}

extension String {
    fileprivate func trimmingLeadingWhitespace() -> String { String(drop(while: { $0.isWhitespace })) }
}
