import AtomicFiles
import BoundedFiles
import Foundation
import SEVKit

/// The host's copy of what AMD's Key Distribution Service serves, as sevhostd answers it to
/// guests, verifiers and the CLI (`KDSCacheServer`).
///
/// - **One fetch for all askers.** A request for an object nobody has yet starts one upstream
///   fetch; every concurrent request for the same object waits for that one (single flight),
///   and a 429 it meets is waited out once, for all of them (`KDSRetryGate`).
/// - **Verified before kept.** Every body, from upstream or read back from disk, passes
///   `KDSAnswerCheck` (AMD's pinned roots) before it is served or stored; a tampered answer is
///   refused and nothing is written.
/// - **Persistent.** Objects live in `directory` in the layout `sevhost fetch` and `report
///   verify --fetch` use (`KDSObject.cacheName`), written all or nothing (`AtomicFile`), so a
///   restarted daemon, and the CLI pointed at the same directory, find them.
/// - **CRLs kept current.** A CRL is fetched again once less than `crlRefreshMargin` remains
///   before its nextUpdate (`refreshDueCRLs`, which the daemon runs periodically, and on any
///   request for it), and an expired one is never served.
public actor KDSCache {
    /// What a request is answered with.
    public struct Answer: Sendable, Equatable {
        public var body: [UInt8]
        public var contentType: String
        /// VCEKs and chains never change once issued; a CRL does.
        public var immutable: Bool
    }

    struct Stored: Sendable {
        var body: [UInt8]
        var chain: KDSAnswerCheck.Chain?
        var nextUpdate: Date?
    }

    /// Upstream transport (its own cache directory unused): retries, `Retry-After`, bounds.
    private let upstream: KDSClient
    public nonisolated let directory: URL
    private let check: KDSAnswerCheck
    private let now: @Sendable () -> Date
    private let crlRefreshMargin: TimeInterval
    private let log: @Sendable (String) -> Void
    private var memory: [KDSObject: Stored] = [:]
    private var inflight: [KDSObject: Task<Result<Stored, KDSError>, Never>] = [:]

    /// The most objects held in memory (a VCEK is about 1.3 KiB); the rest stay on disk.
    public static let memoryLimit = 20_000
    /// The largest file read back from the cache directory.
    static let fileLimit = 1 << 20

    public init(
        upstream: KDSClient, directory: URL, check: KDSAnswerCheck = KDSAnswerCheck(),
        crlRefreshMargin: TimeInterval = 24 * 3600, now: @escaping @Sendable () -> Date = { Date() },
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        var client = upstream
        client.configuration.cacheDirectory = nil
        self.upstream = client
        self.directory = directory
        self.check = check
        self.now = now
        self.crlRefreshMargin = crlRefreshMargin
        self.log = log
    }

    /// The object, from memory, the directory or upstream, in that order.
    public func answer(_ object: KDSObject) async throws(KDSError) -> Answer {
        let stored = try await stored(object)
        if case .crl = object, let next = stored.nextUpdate, next.timeIntervalSince(now()) < crlRefreshMargin {
            // Still valid, but due: refresh behind this answer.
            Task { _ = try? await self.load(object, upstreamOnly: true) }
        }
        return Answer(body: stored.body, contentType: object.contentType, immutable: !Self.isCRL(object))
    }

    /// Fetches again every CRL held whose nextUpdate is less than `crlRefreshMargin` away.
    /// Returns the CRLs refreshed; failures are logged and the old CRL kept while it is valid.
    @discardableResult
    public func refreshDueCRLs() async -> [KDSObject] {
        var refreshed: [KDSObject] = []
        let due = memory.filter { Self.isCRL($0.key) && ($0.value.nextUpdate.map { $0.timeIntervalSince(now()) < crlRefreshMargin } ?? true) }
        for object in due.keys.sorted(by: { $0.cacheName < $1.cacheName }) {
            do {
                _ = try await load(object, upstreamOnly: true)
                refreshed.append(object)
            } catch {
                log("kds cache: refreshing \(object.cacheName) failed: \(error.message)")
            }
        }
        return refreshed
    }

    // MARK: loading

    private func stored(_ object: KDSObject) async throws(KDSError) -> Stored {
        if let stored = memory[object], stored.nextUpdate.map({ $0 > now() }) ?? true { return stored }
        return try await load(object, upstreamOnly: false)
    }

    /// Single flight: the first caller for `object` starts the work, later ones await it.
    private func load(_ object: KDSObject, upstreamOnly: Bool) async throws(KDSError) -> Stored {
        if let running = inflight[object] { return try await running.value.get() }
        let task = Task { await self.produce(object, upstreamOnly: upstreamOnly) }
        inflight[object] = task
        let result = await task.value
        if inflight[object] == task { inflight[object] = nil }
        return try result.get()
    }

    private func produce(_ object: KDSObject, upstreamOnly: Bool) async -> Result<Stored, KDSError> {
        let file = directory.appendingPathComponent(object.cacheName)
        if !upstreamOnly, let bytes = Self.read(file) {
            switch await verify(object, bytes) {
            case .success(let stored):
                remember(object, stored)
                return .success(stored)
            case .failure(let error):
                log("kds cache: ignoring \(file.path): \(error.detail ?? error.message)")
            }
        }
        let url = object.url(upstream.urls)
        let bytes: [UInt8]
        do { bytes = try await upstream.get(url) } catch { return .failure(error) }
        let stored: Stored
        switch await verify(object, bytes) {
        case .success(let value): stored = value
        case .failure(let error):
            log("kds cache: refused \(url): \(error.detail ?? error.message)")
            return .failure(error)
        }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(bytes, to: file.path)
        } catch {
            log("kds cache: cannot keep \(file.path): \(error)")
        }
        remember(object, stored)
        return .success(stored)
    }

    private func verify(_ object: KDSObject, _ bytes: [UInt8]) async -> Result<Stored, KDSError> {
        do throws(KDSError) {
            let check = self.check
            switch object {
            case .certChain(let signer, let product):
                let chain = try KDSClient.answer { () throws(KDSAnswerError) in try check.certChain(bytes, signer: signer, product: product) }
                return .success(Stored(body: bytes, chain: chain))
            case .vcek(let product, let chipID, let tcb):
                let ask = try await chain(.vcek, product).intermediate
                _ = try KDSClient.answer { () throws(KDSAnswerError) in
                    try check.vcek(bytes, product: product, chipID: chipID, tcb: tcb, ask: ask)
                }
                return .success(Stored(body: bytes))
            case .crl(let signer, let product):
                let ark = try await chain(signer, product).ark
                let now = self.now()
                let list = try KDSClient.answer { () throws(KDSAnswerError) in try check.crl(bytes, ark: ark, at: now) }
                return .success(Stored(body: bytes, nextUpdate: list.nextUpdate))
            }
        } catch {
            return .failure(error)
        }
    }

    private func chain(_ signer: KDSURL.Signer, _ product: AMDProduct) async throws(KDSError) -> KDSAnswerCheck.Chain {
        guard let chain = try await stored(.certChain(signer, product)).chain else {
            throw KDSError(.badContent, "no checked chain for \(product.rawValue)")
        }
        return chain
    }

    private func remember(_ object: KDSObject, _ stored: Stored) {
        if memory[object] == nil, memory.count >= Self.memoryLimit, let victim = memory.keys.first(where: { !Self.isChain($0) }) {
            memory[victim] = nil
        }
        memory[object] = stored
    }

    private static func isCRL(_ object: KDSObject) -> Bool {
        if case .crl = object { return true }
        return false
    }

    private static func isChain(_ object: KDSObject) -> Bool {
        if case .certChain = object { return true }
        return false
    }

    /// A cache file's bytes, or nil when it is absent, unreadable or larger than any KDS answer.
    private static func read(_ file: URL) -> [UInt8]? {
        try? BoundedFile.read(file.path, limit: fileLimit, what: "a KDS answer")
    }
}
