import ArgumentParser
import Foundation
import Orchestration
import SEVKit

/// Parsing of byte-valued options (digests, ids): hex (optionally `0x`) or base64, with the
/// exact length named in the error.
enum ByteOption {
    static func parse(_ text: String, option: String, lengths: Set<Int> = []) throws -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        func fits(_ b: [UInt8]) -> Bool { lengths.isEmpty || lengths.contains(b.count) }
        let hex = Hex.decode(trimmed)
        if let hex, fits(hex) { return hex }
        let b64 = Data(base64Encoded: trimmed).map { [UInt8]($0) }
        if let b64, fits(b64) { return b64 }
        guard let got = hex ?? b64 else {
            throw CommandFailure("\(option): expected hex or base64, got '\(trimmed.prefix(24))'")
        }
        let sizes = lengths.sorted().map(String.init).joined(separator: " or ")
        throw CommandFailure("\(option): expected \(sizes) bytes, got \(got.count)")
    }
}

/// `--min-tcb` / `--tcb`: a raw 64-bit TCB (`0x7308000000000003`) or named SPLs
/// (`bl=3,tee=0,snp=8,ucode=115`, plus `fmc=` on Turin).
enum TCBOption {
    static func parse(_ text: String, option: String, layout: TCBVersion.Layout) throws -> TCBVersion {
        if IntegerText.hasHexPrefix(text), let raw = try? IntegerText.parse(text, as: UInt64.self) {
            return TCBVersion(raw: raw, layout: layout)
        }
        var values: [String: UInt8] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard kv.count == 2, let v = UInt8(kv[1]) else {
                throw CommandFailure("\(option): expected 0x<16 hex digits> or bl=N,tee=N,snp=N,ucode=N[,fmc=N], got '\(text)'")
            }
            let key = ["bootloader": "bl", "microcode": "ucode", "blspl": "bl", "teespl": "tee", "snpspl": "snp",
                       "ucodespl": "ucode", "fmcspl": "fmc"][kv[0]] ?? kv[0]
            guard ["bl", "tee", "snp", "ucode", "fmc"].contains(key) else {
                throw CommandFailure("\(option): unknown SPL '\(kv[0])' (bl, tee, snp, ucode, fmc)")
            }
            values[key] = v
        }
        for key in ["bl", "tee", "snp", "ucode"] where values[key] == nil {
            throw CommandFailure("\(option): missing \(key)=")
        }
        if layout == .milanGenoa, values["fmc"] != nil {
            throw CommandFailure("\(option): fmc= only exists on Turin")
        }
        return TCBVersion(layout: layout, fmc: values["fmc"], bootloader: values["bl"]!, tee: values["tee"]!,
                          snp: values["snp"]!, microcode: values["ucode"]!)
    }
}

extension AMDProduct: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["milan", "genoa", "bergamo", "siena", "turin"] }
}

/// `--at TIME`: the verifier's clock, ISO 8601, default now.
enum VerificationTime {
    static func parse(_ text: String?) throws -> Date {
        guard let text else { return Date() }
        guard let date = ISO8601DateFormatter().date(from: text) else {
            throw ValidationError("--at: expected an ISO 8601 time like 2024-01-31T12:00:00Z, got '\(text)'")
        }
        return date
    }
}

/// Where KDS is and where its answers are cached; shared by `fetch`, `show vcek-url` and
/// `report verify --fetch`.
struct KDSOptions: ParsableArguments {
    @Option(name: .customLong("kds-url"), help: ArgumentHelp(
        "KDS base URL, e.g. a mirror for air-gapped hosts (default: $SEVHOST_KDS_URL, else https://kdsintf.amd.com).",
        valueName: "URL"))
    var kdsURL: String?

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Cache directory (default: ~/.cache/sevhost/kds).", valueName: "DIR"))
    var cacheDir: String?

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the cache.")
    var noCache = false

    @Option(help: ArgumentHelp("Seconds each KDS request may take, the transfer included (default: 30).", valueName: "SECONDS"))
    var timeout: Double = 30

    var baseURL: String { KDSConfiguration.resolveBaseURL(option: kdsURL) }

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout \(timeout): expected a positive number of seconds") }
    }

    func client() -> KDSClient {
        let cache: URL? = noCache ? nil : (cacheDir.map { URL(fileURLWithPath: $0) } ?? KDSConfiguration.defaultCacheDirectory())
        return KDSClient(
            configuration: KDSConfiguration(baseURL: baseURL, cacheDirectory: cache, timeout: timeout),
            progress: { line in CLIFiles.stderr(line) })
    }
}

extension KDSError {
    /// The one line for this error; an answer sevhost refuses to save (not AMD's, not what
    /// the URL promises) exits 2, a refusal, like every fail-closed refusal (sevhost(1)).
    var failure: CommandFailure {
        CommandFailure(message, exitCode: kind == .badContent ? 2 : 1)
    }
}

enum CLIFiles {
    /// A progress line on stderr, silenced by `-q` (`OutputPolicy.note`).
    static func stderr(_ line: String) {
        OutputPolicy.note(line)
    }
}
