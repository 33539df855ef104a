import AtomicFiles
import BoundedFiles
import CHTTPGet
import Foundation
import SEVKit

/// Fetches certificate chains, VCEKs and CRLs from AMD's Key Distribution Service (or a mirror),
/// through a cache.
///
/// What it guarantees: only a 200 answer whose body parses as what was asked for is returned or
/// cached (a 404 page is never saved as a certificate); 429 and 503 are retried after the
/// server's `Retry-After` (KDS rate-limits hard), other 5xx with a short backoff; an unreachable
/// host gives one line saying so and how to work offline. Waiting goes through `sleeper` so
/// tests do not sleep.
public struct KDSClient: Sendable {
    public var configuration: KDSConfiguration
    public var urls: KDSURL
    /// Waits the given number of seconds (injectable: tests record instead of sleeping).
    public var sleeper: @Sendable (Double) async -> Void
    /// Receives one progress line per event (the CLI prints them on stderr).
    public var progress: @Sendable (String) -> Void
    /// Prefix of the progress lines, naming the service (`kds`, `amd-ca`).
    public var label = "kds"

    /// Waits the seconds a server asked for (`Retry-After`); tests pass one that does not wait.
    public static let realSleeper: @Sendable (Double) async -> Void = { seconds in
        try? await Task.sleep(for: .seconds(max(0, seconds)))
    }

    public init(
        configuration: KDSConfiguration,
        sleeper: @escaping @Sendable (Double) async -> Void = KDSClient.realSleeper,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.urls = KDSURL(base: configuration.baseURL)
        self.sleeper = sleeper
        self.progress = progress
    }

    // MARK: typed requests

    /// The intermediate (ASK or ASVK) and ARK of `product`, as KDS serves them (PEM, ASK first).
    public func certChain(_ signer: KDSURL.Signer, product: AMDProduct) async throws(KDSError) -> [SNPCertificate] {
        let url = urls.certChain(signer, product: product)
        let body = try await fetch(url, cacheName: "\(signer.rawValue)/\(product.rawValue)/cert_chain.pem") { bytes throws(KDSError) in
            let certs = try Self.decodeCertificates(bytes)
            guard certs.count >= 2 else { throw KDSError(.badContent, "\(url): expected ASK/ASVK and ARK, got \(certs.count) certificate(s)") }
        }
        return try Self.decodeCertificates(body)
    }

    /// The VCEK of one chip at one TCB (DER).
    public func vcek(product: AMDProduct, chipID: [UInt8], tcb: TCBVersion) async throws(KDSError) -> SNPCertificate {
        let url: String
        do { url = try urls.vcek(product: product, chipID: chipID, tcb: tcb) } catch {
            throw KDSError(.badContent, error.message)
        }
        let t = TCBVersion(raw: tcb.raw, layout: TCBVersion.Layout(product: product))
        let name = "vcek/\(product.rawValue)/\(Hex.encode(chipID.prefix(product.kdsChipIDLength)))-\(t.hex).der"
        let body = try await fetch(url, cacheName: name) { bytes throws(KDSError) in
            _ = try Self.decodeCertificates(bytes)
        }
        guard let cert = try Self.decodeCertificates(body).first else {
            throw KDSError(.badContent, "\(url): no certificate in the answer")
        }
        return cert
    }

    /// The CRL of `product`'s ARK.
    public func crl(_ signer: KDSURL.Signer, product: AMDProduct) async throws(KDSError) -> CertificateRevocationList {
        let url = urls.crl(signer, product: product)
        let body = try await fetch(url, cacheName: "\(signer.rawValue)/\(product.rawValue)/crl.der") { bytes throws(KDSError) in
            _ = try Self.decodeCRL(bytes)
        }
        return try Self.decodeCRL(body)
    }

    private static func decodeCertificates(_ bytes: [UInt8]) throws(KDSError) -> [SNPCertificate] {
        do { return try SNPCertificate.decodeAll(bytes) } catch {
            throw KDSError(.badContent, "KDS answer is not a certificate: \(error.message)")
        }
    }

    private static func decodeCRL(_ bytes: [UInt8]) throws(KDSError) -> CertificateRevocationList {
        do { return try CertificateRevocationList(bytes: bytes) } catch {
            throw KDSError(.badContent, "KDS answer is not a CRL: \(error.message)")
        }
    }

    // MARK: transport

    /// Returns the cached body for `cacheName` when present and valid, else fetches `url`,
    /// validates the body with `validate`, caches it and returns it.
    public func fetch(
        _ url: String, cacheName: String, validate: ([UInt8]) throws(KDSError) -> Void
    ) async throws(KDSError) -> [UInt8] {
        let cacheFile = configuration.cacheDirectory?.appendingPathComponent(cacheName)
        if let cacheFile, let bytes = try? BoundedFile.read(cacheFile.path, .certificate) {
            do throws(KDSError) {
                try validate(bytes)
                progress("\(label): cache hit \(cacheFile.path)")
                return bytes
            } catch {
                progress("\(label): ignoring cache entry \(cacheFile.path): \(error.detail ?? error.message)")
            }
        }
        let body = try await get(url)
        try validate(body)
        if let cacheFile { try store(body, at: cacheFile) }
        return body
    }

    /// GET with status checking and retries.
    public func get(_ url: String) async throws(KDSError) -> [UInt8] {
        guard let requestURL = URL(string: url), let host = requestURL.host else {
            throw KDSError(.badContent, "\(url): not a valid URL", detail: "not a valid URL")
        }
        var attempt = 1
        while true {
            progress("\(label): GET \(url)\(attempt > 1 ? " (attempt \(attempt))" : "")")
            let (status, headers, body): (Int, [String: String], [UInt8])
            do {
                (status, headers, body) = try await Self.perform(requestURL, timeout: configuration.timeout)
            } catch let error as HTTPGetError where error.oversized {
                throw KDSError(.badContent, "\(url): refused: \(error.reason)", detail: "refused: \(error.reason)")
            } catch {
                throw KDSError(
                    .offline,
                    "cannot reach KDS at \(host) (\(error.localizedDescription)); offline? use --kds-url or \(KDSConfiguration.environmentVariable) for a mirror, or give the certificates with --certs",
                    detail: error.localizedDescription)
            }
            switch status {
            case 200:
                progress("\(label): 200 \(body.count) bytes")
                return body
            case 404:
                throw KDSError(.notFound, "KDS has nothing at \(url) (HTTP 404): check the product, chip id and TCB")
            case 429, 500...599:
                let wait = Self.retryAfter(headers) ?? Double(1 << (attempt - 1))
                guard attempt < configuration.maxAttempts, wait <= configuration.maxRetryAfter else {
                    throw KDSError(.httpStatus(status), "KDS answered HTTP \(status) for \(url) after \(attempt) attempt(s)")
                }
                progress("\(label): HTTP \(status), retrying in \(Self.format(wait))s")
                await sleeper(wait)
                attempt += 1
            default:
                throw KDSError(.httpStatus(status), "KDS answered HTTP \(status) for \(url)")
            }
        }
    }

    /// `Retry-After` as delta-seconds (KDS's form) or an HTTP date.
    static func retryAfter(_ headers: [String: String]) -> Double? {
        guard let value = headers.first(where: { $0.key.lowercased() == "retry-after" })?.value
            .trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: value) { return max(0, date.timeIntervalSinceNow) }
        return nil
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }

    /// One GET through libcurl (`CHTTPGet`), on a Dispatch thread since the call blocks.
    ///
    /// Not `URLSession`: importing FoundationNetworking links libcurl and its ~35 dependent
    /// libraries into every process of the `sevhost` executable, about 10 ms of start-up for
    /// every command, including those that never go near the network (`digest`); CHTTPGet
    /// loads libcurl only when a fetch happens.
    private static func perform(_ url: URL, timeout: Double) async throws -> (Int, [String: String], [UInt8]) {
        let text = url.absoluteString
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var response = chttp_response()
                defer { chttp_response_free(&response) }
                let result = chttp_get(text, timeout, &response)
                guard result == 0 else {
                    let reason = withUnsafeBytes(of: response.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    continuation.resume(throwing: HTTPGetError(reason: reason, oversized: result == -2))
                    return
                }
                let body = response.body.map { [UInt8](UnsafeBufferPointer(start: $0, count: response.body_length)) } ?? []
                let headerText = response.headers.map { String(cString: $0) } ?? ""
                continuation.resume(returning: (response.status, Self.headerFields(headerText), body))
            }
        }
    }

    /// "Name: value" lines (after the status line) as a dictionary; a repeated name keeps the last.
    static func headerFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("HTTP/") else { continue }
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            fields[name] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// Why a GET did not produce an answer (libcurl's one-line reason).
    struct HTTPGetError: Error, LocalizedError {
        let reason: String
        /// The server answered, with more than a certificate or CRL could be.
        let oversized: Bool
        var errorDescription: String? { reason }
    }

    /// Writes all or nothing (`AtomicFile`), so a crash or a full disk never leaves half a
    /// certificate in the cache.
    private func store(_ body: [UInt8], at file: URL) throws(KDSError) {
        do {
            try AtomicFile.createDirectories(file.deletingLastPathComponent().path)
            try AtomicFile.write(body, to: file.path)
        } catch {
            throw KDSError(.cache, "cannot write cache file \(file.path): \(error.reason)")
        }
        progress("\(label): cached \(file.path)")
    }
}
