import Foundation
import SEVKit

/// Finds the AMD CA chain (ASK, ARK) that anchors a legacy SEV platform's CEK, by downloading
/// AMD's `ask_ark_<product>.cert`, as sevctl does when a chain file carries no ASK and ARK.
///
/// Fail-closed: a file is used only when it parses as ASK then ARK, its ARK is byte for byte the
/// pinned AMD root of the product the file is named for (`AMDLegacyRootKeys`), the ARK signs the
/// ASK, and the ASK signs the CEK. A mirror (or an attacker on the path) can therefore make the
/// fetch fail but never make it succeed with a root AMD did not publish.
///
/// The HTTP transport, retries and cache are the KDS client's (`KDSClient.fetch`): files are
/// cached only after passing those checks, and a cached file passes them again on every use, so
/// a tampered cache entry is never trusted (it is ignored and fetched anew).
public struct AMDCAFetcher: Sendable {
    /// Where AMD publishes the legacy CA chain files.
    public static let amdBase = "https://download.amd.com/developer/eula/sev"
    /// Overrides `amdBase` (a mirror for air-gapped hosts, or a test server).
    public static let environmentVariable = "SEVHOST_AMD_CA_URL"
    /// The products AMD publishes a legacy CA chain file for, in the order they are tried when
    /// the product is not given (a legacy CEK does not name its product).
    public static let products: [AMDProduct] = [.naples, .rome, .milan, .genoa]

    /// The transport and cache; its base URL is the directory holding the `ask_ark_*` files.
    public var client: KDSClient

    public init(client: KDSClient) {
        self.client = client
        self.client.label = "amd-ca"
    }

    /// The fetcher for `configuration.baseURL` (see `resolveBaseURL`).
    public init(
        configuration: KDSConfiguration,
        sleeper: @escaping @Sendable (Double) async -> Void = KDSClient.realSleeper,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.init(client: KDSClient(configuration: configuration, sleeper: sleeper, progress: progress))
    }

    /// The base URL from an explicit option, else the environment, else AMD's.
    public static func resolveBaseURL(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment[environmentVariable], !env.isEmpty { return env }
        return amdBase
    }

    /// `$XDG_CACHE_HOME/sevhost/amd-ca`, else `~/.cache/sevhost/amd-ca`: next to the KDS cache,
    /// apart from it because these files come from another server.
    public static func defaultCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        KDSConfiguration.defaultCacheDirectory(environment: environment)
            .deletingLastPathComponent().appendingPathComponent("amd-ca")
    }

    /// `ask_ark_<product>.cert`, as AMD names the files (lower case).
    public static func fileName(_ product: AMDProduct) -> String {
        "ask_ark_\(product.rawValue.lowercased()).cert"
    }

    /// Where `product`'s file is.
    public func url(for product: AMDProduct) -> String {
        var base = client.configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/\(Self.fileName(product))"
    }

    /// A chain that was found, and where from.
    public struct Selection: Sendable, Equatable {
        public var product: AMDProduct
        public var chain: AMDCAChain
        public var url: String
    }

    /// The CA chain whose ASK signs `cek`: `product`'s when given, else the first of `products`
    /// that does. Stops at the first unreachable server (the others are on the same one).
    public func chain(signing cek: SEVPlatformCertificate, product: AMDProduct? = nil) async throws(AMDCAFetchError) -> Selection {
        if let product, !Self.products.contains(product) {
            throw AMDCAFetchError(attempts: [.init(url: url(for: product), problem: "AMD publishes no legacy CA chain for \(product.rawValue)")])
        }
        var attempts: [AMDCAFetchError.Attempt] = []
        for candidate in product.map({ [$0] }) ?? Self.products {
            let url = url(for: candidate)
            let chain: AMDCAChain
            do {
                chain = try await published(candidate)
            } catch {
                let attempt = AMDCAFetchError.Attempt(url: url, problem: Self.problem(error), unreachable: error.kind == .offline)
                if attempt.unreachable { throw AMDCAFetchError(attempts: [attempt]) }
                attempts.append(attempt)
                continue
            }
            let verdict = SEVCertificateVerifier.verify(cek, signedBy: chain.ask)
            if verdict.isValid {
                client.progress("\(client.label): the CEK is signed by AMD's \(candidate.rawValue) ASK (\(url))")
                return Selection(product: candidate, chain: chain, url: url)
            }
            attempts.append(.init(url: url, problem: "AMD's \(candidate.rawValue) ASK does not sign the CEK: \(Self.reason(verdict))"))
        }
        throw AMDCAFetchError(attempts: attempts)
    }

    /// `product`'s CA chain from the cache or the server, checked by `check` either way.
    public func published(_ product: AMDProduct) async throws(KDSError) -> AMDCAChain {
        let url = url(for: product)
        let body = try await client.fetch(url, cacheName: Self.fileName(product)) { bytes throws(KDSError) in
            _ = try Self.check(bytes, product: product, url: url)
        }
        return try Self.check(body, product: product, url: url)
    }

    /// Parses `bytes` as ASK then ARK and requires the ARK to be AMD's pinned root for
    /// `product` and to sign the ASK.
    ///
    /// The ARK's self-signature is not checked again: the pin covers its whole encoding,
    /// signature included, and AMD's published ARKs are verified once, in SEVKit's tests.
    public static func check(_ bytes: [UInt8], product: AMDProduct, url: String) throws(KDSError) -> AMDCAChain {
        let chain: AMDCAChain
        do {
            chain = try AMDCAChain(bytes: bytes, name: url)
        } catch {
            var text = error.description
            if text.hasPrefix(url + ", ") { text.removeFirst(url.count + 2) }
            throw KDSError(.badContent, "not an AMD CA chain (ASK then ARK): \(text)")
        }
        guard let anchor = AMDLegacyRootKeys.product(of: chain.ark) else {
            throw KDSError(.badContent, "the ARK is not one of AMD's published roots")
        }
        guard anchor == product.rawValue else {
            throw KDSError(.badContent, "holds AMD's \(anchor) ARK, not the \(product.rawValue) one")
        }
        let askByARK = SEVCertificateVerifier.verify(chain.ask, signedBy: chain.ark)
        guard askByARK.isValid else {
            throw KDSError(.badContent, "the ASK is not signed by AMD's \(product.rawValue) ARK: \(reason(askByARK))")
        }
        return chain
    }

    private static func reason(_ verdict: SEVLinkVerdict) -> String {
        if case .invalid(let reason) = verdict { return reason }
        return "valid"
    }

    /// What went wrong with one file, without KDS's wording.
    static func problem(_ error: KDSError) -> String {
        switch error.kind {
        case .offline: "unreachable (\(error.detail ?? error.message))"
        case .notFound: "HTTP 404"
        case .httpStatus(let status): "HTTP \(status)"
        case .badContent, .cache: error.detail ?? error.message
        }
    }
}
