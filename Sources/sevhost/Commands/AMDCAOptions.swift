import ArgumentParser
import BoundedFiles
import Foundation
import Orchestration
import SEVKit

/// Where AMD's legacy CA chain files (`ask_ark_<product>.cert`) are downloaded from when a
/// command needs the ASK and ARK and was given neither `--ca` nor a full chain; shared by
/// `verify --sev` and `export --full`.
struct AMDCAOptions: ParsableArguments {
    @Option(name: .customLong("ca-url"), help: ArgumentHelp(
        "Where AMD's ask_ark_<product>.cert files are, e.g. a mirror (default: $SEVHOST_AMD_CA_URL, else \(AMDCAFetcher.amdBase)).",
        valueName: "URL"))
    var caURL: String?

    @Option(
        help: ArgumentHelp(
            "Product whose CA chain to download: naples, rome, milan or genoa (default: each in turn, keeping the one whose ASK signs the CEK).",
            valueName: "PRODUCT"),
        transform: AMDCAOptions.parseProduct)
    var product: AMDProduct?

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp(
        "Cache of downloaded CA chains, re-verified on every use (default: ~/.cache/sevhost/amd-ca).", valueName: "DIR"))
    var cacheDir: String?

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the CA chain cache.")
    var noCache = false

    @Option(help: ArgumentHelp("Seconds each download may take, the transfer included (default: 30).", valueName: "SECONDS"))
    var timeout: Double = 30

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout \(timeout): expected a positive number of seconds") }
    }

    /// Options that only mean something when the chain is downloaded.
    var downloadOptionsGiven: Bool { caURL != nil || product != nil }

    static func parseProduct(_ text: String) throws -> AMDProduct {
        guard let product = AMDProduct(name: text), AMDCAFetcher.products.contains(product) else {
            throw ValidationError("'\(text)': expected naples, rome, milan or genoa (AMD publishes legacy CA chains for those)")
        }
        return product
    }

    /// The CA chain a platform chain file (`chainPath`) is verified with: the `--ca` file when
    /// given, else the ASK and ARK `embedded` in the chain file, else the one downloaded for
    /// `cek`. The download options are refused when nothing is downloaded.
    func resolve(
        ca: String?, embedded: AMDCAChain?, chainPath: String, signing cek: SEVPlatformCertificate
    ) async throws -> AMDCAChain {
        if let ca {
            guard !downloadOptionsGiven else {
                throw CommandFailure("--product and --ca-url are only used when the CA chain is downloaded, not with --ca")
            }
            do {
                return try AMDCAChain(bytes: try GuestOwnerInput.certificates(ca, option: "--ca"), name: ca)
            } catch let error as SEVCertificateError {
                throw CommandFailure(error.description)
            }
        }
        if let embedded {
            guard !downloadOptionsGiven else {
                throw CommandFailure(
                    "--product and --ca-url are only used when the CA chain is downloaded, and \(chainPath) holds the ASK and ARK")
            }
            return embedded
        }
        return try await chain(signing: cek)
    }

    /// Downloads (or takes from the cache) the chain whose ASK signs `cek`; progress lines go
    /// to stderr unless `-q`, and a download that takes longer than a second is shown going.
    func chain(signing cek: SEVPlatformCertificate) async throws -> AMDCAChain {
        let cache: URL? = noCache ? nil : (cacheDir.map { URL(fileURLWithPath: $0) } ?? AMDCAFetcher.defaultCacheDirectory())
        let fetcher = AMDCAFetcher(
            configuration: KDSConfiguration(baseURL: AMDCAFetcher.resolveBaseURL(option: caURL), cacheDirectory: cache, timeout: timeout),
            progress: { line in CLIFiles.stderr(line) })
        do {
            return try await TerminalProgress.around("fetching AMD's CA chain") {
                try await fetcher.chain(signing: cek, product: product).chain
            }
        } catch let error as AMDCAFetchError {
            throw CommandFailure(error.description)
        }
    }
}
