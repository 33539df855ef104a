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
    /// What an answer must be before it is kept (AMD's pinned roots, and any test roots).
    public var check = KDSAnswerCheck()
    /// Shared by every request of one process: after a 429 or 503 with `Retry-After`, no
    /// request goes upstream before the time the server named, whichever request heard it.
    public var gate: KDSRetryGate?
    /// The clock CRLs are judged by (injectable for tests).
    public var now: @Sendable () -> Date = { Date() }

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

    /// The intermediate (ASK or ASVK) and ARK of `product`, as KDS serves them (PEM, ASK first),
    /// checked against AMD's pinned root for `product` before it is returned or cached.
    public func certChain(_ signer: KDSURL.Signer, product: AMDProduct) async throws(KDSError) -> [SNPCertificate] {
        let chain = try await checkedChain(signer, product: product)
        return [chain.intermediate, chain.ark]
    }

    /// The checked chain of `product` (see `KDSAnswerCheck.certChain`).
    public func checkedChain(_ signer: KDSURL.Signer, product: AMDProduct) async throws(KDSError) -> KDSAnswerCheck.Chain {
        let object = KDSObject.certChain(signer, product)
        let check = self.check
        let body = try await fetch(object.url(urls), cacheName: object.cacheName) { bytes throws(KDSError) in
            _ = try Self.answer { () throws(KDSAnswerError) in try check.certChain(bytes, signer: signer, product: product) }
        }
        return try Self.answer { () throws(KDSAnswerError) in try check.certChain(body, signer: signer, product: product) }
    }

    /// The VCEK of one chip at one TCB (DER), checked against the product's ASK (fetched first)
    /// and its chip id, TCB and product.
    public func vcek(product: AMDProduct, chipID: [UInt8], tcb: TCBVersion) async throws(KDSError) -> SNPCertificate {
        do { _ = try urls.vcek(product: product, chipID: chipID, tcb: tcb) } catch {
            throw KDSError(.badContent, error.message)
        }
        let object = KDSObject.vcek(product, chipID: Array(chipID.prefix(product.kdsChipIDLength)), tcb: tcb)
        let ask = try await checkedChain(.vcek, product: product).intermediate
        let check = self.check
        let body = try await fetch(object.url(urls), cacheName: object.cacheName) { bytes throws(KDSError) in
            _ = try Self.answer { () throws(KDSAnswerError) in try check.vcek(bytes, product: product, chipID: chipID, tcb: tcb, ask: ask) }
        }
        return try Self.answer { () throws(KDSAnswerError) in try check.vcek(body, product: product, chipID: chipID, tcb: tcb, ask: ask) }
    }

    /// The CRL of `product`'s ARK, checked against that ARK and its nextUpdate.
    public func crl(_ signer: KDSURL.Signer, product: AMDProduct) async throws(KDSError) -> CertificateRevocationList {
        let object = KDSObject.crl(signer, product)
        let ark = try await checkedChain(signer, product: product).ark
        let check = self.check
        let now = self.now()
        let body = try await fetch(object.url(urls), cacheName: object.cacheName) { bytes throws(KDSError) in
            _ = try Self.answer { () throws(KDSAnswerError) in try check.crl(bytes, ark: ark, at: now) }
        }
        return try Self.answer { () throws(KDSAnswerError) in try check.crl(body, ark: ark, at: now) }
    }

    /// A refused answer as a KDS error (what the CLI prints and the cache logs).
    static func answer<T>(_ body: () throws(KDSAnswerError) -> T) throws(KDSError) -> T {
        do { return try body() } catch {
            throw KDSError(.badContent, "KDS answer refused: \(error.message)", detail: error.message)
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
            if let gate { await gate.pass(sleeper: sleeper) }
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
                if let gate {
                    await gate.hold(for: wait)
                } else {
                    await sleeper(wait)
                }
                attempt += 1
            default:
                throw KDSError(.httpStatus(status), "KDS answered HTTP \(status) for \(url)")
            }
        }
    }

    /// A POST over mutual TLS (KDS's provider endpoint: VLEK hashsticks), one attempt; only a
    /// 200 answer is returned, anything else is one line with KDS's status.
    public static func post(
        _ url: String, body: [UInt8], clientCertificate: String, clientKey: String, caFile: String?, timeout: Double = 30
    ) async throws(KDSError) -> [UInt8] {
        let result: Result<(Int, [UInt8]), HTTPGetError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var response = chttp_response()
                defer { chttp_response_free(&response) }
                let code = body.withUnsafeBufferPointer { bytes in
                    url.withCString { url in
                        "application/json".withCString { type in
                            clientCertificate.withCString { cert in
                                clientKey.withCString { key in
                                    withOptionalCString(caFile) { ca in
                                        var options = chttp_request_options()
                                        options.url = url
                                        options.timeout_seconds = timeout
                                        options.body = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)
                                        options.body_length = bytes.count
                                        options.content_type = type
                                        options.client_certificate = cert
                                        options.client_key = key
                                        options.ca_file = ca
                                        return chttp_request(&options, &response)
                                    }
                                }
                            }
                        }
                    }
                }
                guard code == 0 else {
                    let reason = withUnsafeBytes(of: response.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    continuation.resume(returning: .failure(HTTPGetError(reason: reason, oversized: code == -2)))
                    return
                }
                let answer = response.body.map { [UInt8](UnsafeBufferPointer(start: $0, count: response.body_length)) } ?? []
                continuation.resume(returning: .success((response.status, answer)))
            }
        }
        switch result {
        case .failure(let error):
            throw KDSError(.offline, "cannot reach \(url) (\(error.reason))", detail: error.reason)
        case .success((200, let answer)):
            return answer
        case .success((let status, _)):
            throw KDSError(.httpStatus(status), "KDS answered HTTP \(status) for \(url)")
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

    /// Why a request did not produce an answer (libcurl's one-line reason).
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

/// `body` with a C string for `text`, or NULL.
private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
