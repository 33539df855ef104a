import Crypto

/// An elliptic-curve public key as the SEV formats store it: a curve id and the affine
/// coordinates as 72-byte little-endian integers (AMD sizes every field for the largest
/// curve and a little-endian engine).
public struct SEVECPublicKey: Sendable, Hashable {
    /// Curve ids of the SEV API.
    public static let curveP256: UInt32 = 1
    public static let curveP384: UInt32 = 2
    /// Size of the curve id + Qx + Qy + reserved layout inside a certificate.
    public static let encodedSize = 1028
    static let coordinateFieldSize = 72

    public var curve: UInt32
    /// Big-endian, 48 bytes each (P-384).
    public var x: [UInt8]
    public var y: [UInt8]

    /// Reads the 1028-byte public-key field. `name` is used in errors.
    public init(field: [UInt8], certificate name: String) throws(SEVCertificateError) {
        precondition(field.count == Self.encodedSize)
        var reader = ByteReader(field, context: name)
        do {
            curve = try reader.readInteger(UInt32.self, field: "curve")
            guard curve == Self.curveP384 else {
                throw SEVCertificateError.wrongKeyType(
                    certificate: name, expected: "an ECC P-384 key (curve id 2)",
                    found: curve == Self.curveP256 ? "P-256 (curve id 1)" : "curve id \(curve)")
            }
            let qx = try reader.readBytes(Self.coordinateFieldSize, field: "Qx")
            let qy = try reader.readBytes(Self.coordinateFieldSize, field: "Qy")
            x = try Self.bigEndianCoordinate(qx, name: name, field: "Qx")
            y = try Self.bigEndianCoordinate(qy, name: name, field: "Qy")
        } catch let error as ByteDecodingError {
            throw .malformed(error)
        } catch let error as SEVCertificateError {
            throw error
        } catch {
            throw .invalidPublicKey(certificate: name, reason: "\(error)")
        }
    }

    /// The key of a swift-crypto P-384 public key.
    public init(x963 representation: [UInt8]) {
        precondition(representation.count == 97 && representation[0] == 0x04)
        curve = Self.curveP384
        x = Array(representation[1..<49])
        y = Array(representation[49..<97])
    }

    private static func bigEndianCoordinate(_ littleEndian: [UInt8], name: String, field: String) throws(SEVCertificateError) -> [UInt8] {
        guard littleEndian[48...].allSatisfy({ $0 == 0 }) else {
            throw .invalidPublicKey(certificate: name, reason: "\(field) has non-zero bytes beyond the 48 bytes of a P-384 coordinate")
        }
        return Array(littleEndian[0..<48].reversed())
    }

    /// The 1028-byte field: curve id, Qx and Qy little-endian in 72 bytes each, zero reserve.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedSize)
        writer.write(curve)
        writer.write(bytes: x.reversed())
        writer.writeZeros(Self.coordinateFieldSize - x.count)
        writer.write(bytes: y.reversed())
        writer.writeZeros(Self.coordinateFieldSize - y.count)
        writer.pad(to: Self.encodedSize)
        return writer.bytes
    }

    /// Uncompressed SEC1 point (0x04 ‖ X ‖ Y).
    public var x963Representation: [UInt8] { [0x04] + x + y }

    public func signingKey(certificate name: String) throws(SEVCertificateError) -> P384.Signing.PublicKey {
        do {
            return try P384.Signing.PublicKey(x963Representation: x963Representation)
        } catch {
            throw .invalidPublicKey(certificate: name, reason: "the point is not on P-384")
        }
    }

    public func agreementKey(certificate name: String) throws(SEVCertificateError) -> P384.KeyAgreement.PublicKey {
        do {
            return try P384.KeyAgreement.PublicKey(x963Representation: x963Representation)
        } catch {
            throw .invalidPublicKey(certificate: name, reason: "the point is not on P-384")
        }
    }
}
