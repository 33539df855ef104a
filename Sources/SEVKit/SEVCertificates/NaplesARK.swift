/// The Naples AMD Root Key's missing signature.
///
/// AMD first published the Naples ARK without its 256-byte signature (AMDESE/AMDSEV#17) and
/// later supplied the signature on its own. Copies of the short file are still in the wild,
/// so the decoder completes exactly that certificate (and no other) with this signature,
/// which then has to verify like any other: supplying it grants no trust by itself.
enum NaplesARK {
    /// Key id (= certifying id) of the Naples ARK.
    static let keyID: [UInt8] = Hex.decode("1bb987c359494606b174945601c9ea5b")!

    /// The signature, little-endian as stored in the certificate.
    static let signature: [UInt8] = Hex.decode([
        "82e5ad8cb8acf04bb0f4f04165f3b9f871afa4d1865add11d783ac6198bc1323",
        "c2685941fd76422917592353431e1174caf64495e3b7cc01aafdaac0641530d7",
        "df731b89902c96c778d19a679a0fd48691599d977f4cb1f421b954e3ae63b178",
        "d255cf50547b9170d15329959119c092ac8abfe54a8a17d0c1d42287a4b00ede",
        "d120bc4c2b9407d1851e0f936c1fbdcbeb7b7cf1d618466d6fd31773b65600df",
        "bf7ff6edcbfbfec021bbebde1aa4b0701045a1b48db056e9736a8e75cf137b8d",
        "3e75009aad5a8d2687f9c0697454804d673c491bce7d09ea8da383eb5b987710",
        "623b5d1aae772f0e0468897f5bf236cc356a5003f7a49e2c1639fed635427c55",
    ].joined())!

    static func matchesPreamble(
        keyID: [UInt8], certifyingID: [UInt8], usage: SEVKeyUsage, exponentBits: UInt32, modulusBits: UInt32
    ) -> Bool {
        keyID == Self.keyID && certifyingID == Self.keyID && usage == .ark && exponentBits == 2048 && modulusBits == 2048
    }
}
