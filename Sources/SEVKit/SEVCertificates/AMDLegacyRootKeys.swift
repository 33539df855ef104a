import Crypto

/// The genuine AMD Root Keys of the legacy SEV chain, by product.
///
/// A full chain file carries its own ARK, and a forged chain can be entirely self-consistent;
/// only comparing the root against AMD's published ARKs ties the chain to AMD. The values are
/// the SHA-256 of each ARK's complete AMD CA-format encoding as AMD publishes it
/// (`ask_ark_<product>.cert`), so one comparison covers key, ids and signature.
public enum AMDLegacyRootKeys {
    public static let fingerprints: [(product: String, sha256: String)] = [
        ("Naples", "dedabca561e1dece8cc00b7bda864cf5f20b95017864408cfe18eaee0dce24b9"),
        ("Rome", "865977b268c16d5b27772b00aaefb4e737ba9499e818ed8e9f65b0cecefbc529"),
        ("Milan", "1246469862b78a7a8625579b0378d1f8e975eb8b82a1623b579d7968a5969888"),
        ("Genoa", "8f4e3fd36589c23f1fe0c8338465bac7e2e066d97fc92f228bbee4fd356fb674"),
        ("Turin", "f6405e5096a6eee1eb7d5df75c49f9b9f7c8357a31c7fff150149d68588a7bf7"),
    ]

    /// The product whose ARK this is, or nil when it is not one of AMD's.
    public static func product(of ark: AMDCACertificate) -> String? {
        let digest = Hex.encode(Array(SHA256.hash(data: ark.encoded)))
        return fingerprints.first { $0.sha256 == digest }?.product
    }
}
