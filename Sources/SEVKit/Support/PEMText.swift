import Foundation

/// PEM as OpenSSL writes it (RFC 7468): `-----BEGIN LABEL-----`, the DER in base64 with
/// 64-character lines, `-----END LABEL-----`, each line ending in a line feed. One writer for
/// certificates and CRLs, so every PEM file sevhost writes reads the same in openssl and sevctl.
public enum PEMText {
    public static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }
}
