import Crypto
import Foundation

/// What an ID block asserts about a guest, with the public keys behind it: the part of
/// SNP_LAUNCH_FINISH (SNP ABI 56860) that every attestation report of the guest shows again as
/// FAMILY_ID, IMAGE_ID, GUEST_SVN, ID_KEY_DIGEST, AUTHOR_KEY_DIGEST and KEY_INFO.AUTHOR_KEY_EN.
///
/// Only public keys: a guest owner checking reports against a spec holds the ID key's public
/// half, not the private key that signed.
public struct SNPLaunchIdentity: Hashable, Sendable {
    public var block: IDBlock
    public var idKey: SEVECDSAPublicKey
    /// The author key when AUTHOR_KEY_EN is set at launch; nil otherwise, even when the ID auth
    /// info carries one (the firmware then ignores it and reports zeros).
    public var authorKey: SEVECDSAPublicKey?

    public init(block: IDBlock, idKey: SEVECDSAPublicKey, authorKey: SEVECDSAPublicKey?) {
        self.block = block
        self.idKey = idKey
        self.authorKey = authorKey
    }

    /// The identity an ID block and its auth info give a launch with `authorKeyEnabled`.
    public init(block: IDBlock, auth: IDAuthInfo, authorKeyEnabled: Bool) {
        self.init(block: block, idKey: auth.idKey, authorKey: authorKeyEnabled ? auth.authorKey : nil)
    }
}

/// An ID block signed by its ID key (and the ID key by an author key), as QEMU's
/// `sev-snp-guest` takes them: `id-block=`, `id-auth=`, `author-key-enabled=`.
public struct SignedIDBlock: Hashable, Sendable {
    public var block: IDBlock
    public var auth: IDAuthInfo

    public init(block: IDBlock, auth: IDAuthInfo) {
        self.block = block
        self.auth = auth
    }

    /// Signs `block`; with `authorKey`, the ID key structure is signed too and AUTHOR_KEY_EN goes on.
    public static func sign(_ block: IDBlock, idKey: P384.Signing.PrivateKey, authorKey: P384.Signing.PrivateKey?) throws(IDBlockError) -> SignedIDBlock {
        do {
            return SignedIDBlock(block: block, auth: try IDAuthInfo.sign(block, idKey: idKey, authorKey: authorKey))
        } catch {
            throw IDBlockError("cannot sign the ID block: \(error)")
        }
    }

    /// Signs `block` with the keys in PEM text (SEC1 or PKCS#8); `name`s label the keys in errors.
    /// The result is checked as the firmware checks it before it is returned.
    public static func sign(
        _ block: IDBlock, idKeyPEM: String, idKeyName: String, authorKeyPEM: String?, authorKeyName: String?
    ) throws(IDBlockError) -> SignedIDBlock {
        let idKey = try SigningKeyFile.privateKey(pem: idKeyPEM, name: idKeyName)
        let authorKey = try authorKeyPEM.map { pem throws(IDBlockError) in
            try SigningKeyFile.privateKey(pem: pem, name: authorKeyName ?? "author key")
        }
        let signed = try sign(block, idKey: idKey, authorKey: authorKey)
        guard signed.auth.verifies(block) else { throw IDBlockError("the ID auth signatures do not verify") }
        return signed
    }

    /// AUTHOR_KEY_EN: on exactly when the auth info carries an author key.
    public var authorKeyEnabled: Bool { auth.authorKey != nil }

    public var identity: SNPLaunchIdentity {
        SNPLaunchIdentity(block: block, auth: auth, authorKeyEnabled: authorKeyEnabled)
    }

    public var blockBase64: String { Data(block.bytes).base64EncodedString() }
    public var authBase64: String { Data(auth.bytes).base64EncodedString() }
}
