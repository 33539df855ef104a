import SwiftASN1
import X509

/// AMD's extensions in a VCEK or VLEK (KDS spec 57230, "VCEK certificate extensions"), under
/// 1.3.6.1.4.1.3704.1: what the key is bound to (chip, product, TCB).
///
/// A VCEK is derived from one chip and one TCB version: the SPLs here are the ones its key was
/// derived for, so a report signed by it must carry exactly these values as REPORTED_TCB.
public struct EndorsementKeyExtensions: Hashable, Sendable {
    public var structVersion: Int?
    /// `Milan-B0`, `Genoa-B1`, `Turin`.
    public var productName: String?
    public var bootloaderSPL: UInt8?
    public var teeSPL: UInt8?
    public var snpSPL: UInt8?
    public var microcodeSPL: UInt8?
    /// Turin only.
    public var fmcSPL: UInt8?
    /// The reserved SPL slots .3.4 to .3.7, when present.
    public var reservedSPLs: [Int: UInt8]
    /// Chip id (64 bytes; 8 on Turin). VCEK only.
    public var hardwareID: [UInt8]?
    /// Cloud service provider (VLEK only).
    public var cspID: String?

    public enum OID {
        public static let structVersion: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 1]
        public static let productName: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 2]
        public static let blSPL: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 1]
        public static let teeSPL: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 2]
        public static let snpSPL: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 3]
        public static let ucodeSPL: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 8]
        public static let fmcSPL: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 9]
        public static let hwID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 4]
        public static let cspID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 5]
        static func reservedSPL(_ n: UInt) -> ASN1ObjectIdentifier { [1, 3, 6, 1, 4, 1, 3704, 1, 3, n] }
    }

    /// Reads the extensions of `certificate`; absent ones stay nil.
    public init(_ certificate: SNPCertificate) throws(SNPCertificateError) {
        let ext = certificate.extensions
        func integer(_ oid: ASN1ObjectIdentifier, _ name: String) throws(SNPCertificateError) -> Int? {
            guard let e = ext[oid: oid] else { return nil }
            do { return try Int(derEncoded: e.value) } catch {
                throw SNPCertificateError("extension \(name) (\(oid)) is not a DER INTEGER")
            }
        }
        func spl(_ oid: ASN1ObjectIdentifier, _ name: String) throws(SNPCertificateError) -> UInt8? {
            guard let v = try integer(oid, name) else { return nil }
            guard let b = UInt8(exactly: v) else {
                throw SNPCertificateError("extension \(name) = \(v) does not fit a TCB byte")
            }
            return b
        }
        func string(_ oid: ASN1ObjectIdentifier, _ name: String) throws(SNPCertificateError) -> String? {
            guard let e = ext[oid: oid] else { return nil }
            do {
                let node = try DER.parse(e.value)
                switch node.identifier {
                case .ia5String: return String(try ASN1IA5String(derEncoded: node))
                case .utf8String: return String(try ASN1UTF8String(derEncoded: node))
                case .printableString: return String(try ASN1PrintableString(derEncoded: node))
                default: throw SNPCertificateError("")
                }
            } catch {
                throw SNPCertificateError("extension \(name) (\(oid)) is not a string")
            }
        }
        structVersion = try integer(OID.structVersion, "structVersion")
        productName = try string(OID.productName, "productName")
        bootloaderSPL = try spl(OID.blSPL, "blSPL")
        teeSPL = try spl(OID.teeSPL, "teeSPL")
        snpSPL = try spl(OID.snpSPL, "snpSPL")
        microcodeSPL = try spl(OID.ucodeSPL, "ucodeSPL")
        fmcSPL = try spl(OID.fmcSPL, "fmcSPL")
        var reserved: [Int: UInt8] = [:]
        for n in 4...7 {
            if let v = try spl(OID.reservedSPL(UInt(n)), "spl_\(n)") { reserved[n] = v }
        }
        reservedSPLs = reserved
        if let e = ext[oid: OID.hwID] {
            // KDS puts the raw chip id in extnValue; some issued certificates wrap it in an
            // OCTET STRING. Accept both, as a verifier in the field must.
            let raw = Array(e.value)
            // Only the two real sizes (64, Turin 8) are unwrapped, so a raw chip id that happens
            // to start with 0x04 is never mistaken for a wrapper.
            if raw.count == 66 || raw.count == 10, let node = try? DER.parse(raw),
               node.identifier == .octetString, let octets = try? ASN1OctetString(derEncoded: node),
               octets.bytes.count == raw.count - 2
            {
                hardwareID = Array(octets.bytes)
            } else {
                hardwareID = raw
            }
        } else {
            hardwareID = nil
        }
        cspID = try string(OID.cspID, "csp_id")
    }

    /// The TCB this key was issued for, in the product's layout; nil when an SPL is missing.
    public func tcb(layout: TCBVersion.Layout) -> TCBVersion? {
        guard let bootloaderSPL, let teeSPL, let snpSPL, let microcodeSPL else { return nil }
        if layout == .turin && fmcSPL == nil { return nil }
        return TCBVersion(layout: layout, fmc: fmcSPL, bootloader: bootloaderSPL, tee: teeSPL, snp: snpSPL, microcode: microcodeSPL)
    }
}
