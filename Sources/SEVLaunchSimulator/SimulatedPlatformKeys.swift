import AtomicFiles
import Crypto
import Foundation
import SEVKit
import _CryptoExtras

/// The private keys of a simulated SEV platform: the test AMD root and signing keys (ARK, ASK,
/// RSA-2048 as on Naples, so they sign with SHA-256 and are quick to generate) and the
/// platform's own P-384 keys (CEK, OCA, PEK, PDH).
///
/// A real platform keeps these in the PSP and AMD's HSMs; the simulator keeps them in a state
/// directory so a platform keeps its identity across launches, which is what lets a guest
/// owner build a session against it before the launch starts.
public struct SimulatedPlatformKeys: Sendable {
    public var arkPEM: String
    public var askPEM: String
    public var arkID: [UInt8]
    public var askID: [UInt8]
    public var cek: [UInt8]
    public var oca: [UInt8]
    public var pek: [UInt8]
    public var pdh: [UInt8]

    /// Fresh keys from the system generator.
    public static func generate() throws -> SimulatedPlatformKeys {
        func scalar() -> [UInt8] { [UInt8](P384.Signing.PrivateKey().rawRepresentation) }
        let ca = try SimulatedAMDCA.generate()
        return SimulatedPlatformKeys(
            arkPEM: ca.arkKey.pemRepresentation, askPEM: ca.askKey.pemRepresentation, arkID: ca.arkID, askID: ca.askID,
            cek: scalar(), oca: scalar(), pek: scalar(), pdh: scalar())
    }

    /// The test AMD CA of these keys.
    func amdCA() throws -> SimulatedAMDCA {
        try SimulatedAMDCA(
            arkKey: _RSA.Signing.PrivateKey(pemRepresentation: arkPEM), askKey: _RSA.Signing.PrivateKey(pemRepresentation: askPEM),
            arkID: arkID, askID: askID)
    }

    /// The file inside a state directory.
    public static let fileName = "platform-keys.json"

    private struct Stored: Codable {
        var version: Int
        var ark: String
        var ask: String
        var arkID: String
        var askID: String
        var cek: String
        var oca: String
        var pek: String
        var pdh: String
    }

    /// Loads the keys of `directory`, generating and saving them (0600) the first time.
    public static func loadOrCreate(directory: String) throws(SimulatorError) -> SimulatedPlatformKeys {
        let path = (directory as NSString).appendingPathComponent(fileName)
        if let data = try SimulatorError.reading(path, .simulatorState) {
            guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(data)), stored.version == 1,
                  let arkID = Hex.decode(stored.arkID), let askID = Hex.decode(stored.askID),
                  let cek = Hex.decode(stored.cek), let oca = Hex.decode(stored.oca),
                  let pek = Hex.decode(stored.pek), let pdh = Hex.decode(stored.pdh)
            else {
                throw .state("\(path): not a sevhost-sim platform key file (version 1)")
            }
            return SimulatedPlatformKeys(
                arkPEM: stored.ark, askPEM: stored.ask, arkID: arkID, askID: askID, cek: cek, oca: oca, pek: pek, pdh: pdh)
        }
        do {
            try AtomicFile.createDirectories(directory)
        } catch {
            throw .state(error.description)
        }
        let keys: SimulatedPlatformKeys
        do {
            keys = try generate()
        } catch {
            throw .state("cannot generate platform keys: \(error)")
        }
        let stored = Stored(
            version: 1, ark: keys.arkPEM, ask: keys.askPEM, arkID: Hex.encode(keys.arkID), askID: Hex.encode(keys.askID),
            cek: Hex.encode(keys.cek), oca: Hex.encode(keys.oca), pek: Hex.encode(keys.pek), pdh: Hex.encode(keys.pdh))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain strings cannot fail.
        let data = try! encoder.encode(stored)
        try SimulatorError.writing { () throws(AtomicFileError) in try AtomicFile.write([UInt8](data), to: path, mode: AtomicFile.secretMode) }
        return keys
    }
}
