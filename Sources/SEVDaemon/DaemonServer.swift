import AtomicFiles
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import Orchestration
import SEVKit

/// sevhostd: opens the store, finds the VMs a previous run left, and serves the API on its
/// Unix socket until SIGTERM or SIGINT. Stopping the daemon never stops a guest: QEMU runs in
/// its own session and the next daemon takes it over.
public enum DaemonServer {
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(_ configuration: DaemonConfiguration, logger: Logger) async throws {
        // Nothing the daemon creates is for others until it says so (the socket is chmod-ed
        // once bound, so there is no moment it is open to everyone).
        umask(0o077)
        for directory in [configuration.stateDirectory, configuration.stateDirectory + "/vms", configuration.runDirectory] {
            do {
                try AtomicFile.createDirectories(directory, mode: AtomicFile.privateDirectoryMode)
            } catch {
                throw StartupError(description: error.description)
            }
        }
        let lock = try StateDirectoryLock(stateDirectory: configuration.stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let store: VMStore
        do {
            store = try VMStore(path: configuration.databasePath, eventHistory: configuration.eventHistory)
        } catch {
            throw StartupError(description: "\(configuration.databasePath): \(error)")
        }
        try prepareSocketPath(configuration.socketPath)

        // Every libvirt host is reached before anything else happens: recovery needs each
        // one's list of domains, and a VM must not be declared lost because its host was slow.
        var hosts: [LibvirtLaunch] = []
        for uri in configuration.libvirtURIs {
            do {
                hosts.append(try await LibvirtLaunch.connect(uri: uri, events: true))
            } catch {
                for host in hosts { await host.close() }
                throw StartupError(description: "--connect \(uri): \(error)")
            }
            logger.info("libvirt host connected", metadata: ["uri": "\(uri)", "host": "\(hosts.last?.host.hostname ?? "")"])
        }
        let metrics = DaemonMetrics()
        let supervisor = VMSupervisor(configuration: configuration, store: store, metrics: metrics, logger: logger, hosts: hosts)
        await supervisor.recover()
        let watcher = Task { await supervisor.watchExits() }
        defer { watcher.cancel() }

        let kds = try await startKDS(configuration.kds, logger: logger)
        defer { kds?.refresher.cancel() }

        let access = AccessPolicy(
            users: [0, getuid(), configuration.socketOwner ?? getuid()],
            group: configuration.socketGroup ?? getgid())
        let router = APIRouter(supervisor: supervisor, metrics: metrics).router(access: access, logger: logger)
        let socket = configuration.socketPath
        let limits = (
            header: TimeAmount.nanoseconds(Int64(configuration.headerTimeout * 1e9)),
            body: TimeAmount.nanoseconds(Int64(configuration.bodyTimeout * 1e9)))
        let app = Application(
            router: router,
            server: .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [
                RequestLimits(headerTimeout: limits.header, bodyTimeout: limits.body, maximumBody: APIRouter.maximumBody, logger: logger),
            ])),
            configuration: .init(
                address: .unixDomainSocket(path: socket), serverName: "sevhostd",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maximumConnections, logger: logger)),
            onServerRunning: { _ in
                if configuration.socketOwner != nil || configuration.socketGroup != nil {
                    // -1 leaves that one unchanged.
                    chown(socket, configuration.socketOwner ?? UInt32.max, configuration.socketGroup ?? UInt32.max)
                }
                chmod(socket, mode_t(configuration.socketMode))
                logger.info("listening", metadata: [
                    "socket": "\(socket)", "mode": "\(String(configuration.socketMode, radix: 8))",
                    "qemu": "\(configuration.qemu)", "state": "\(configuration.stateDirectory)",
                ])
            },
            logger: logger)
        try await app.runService()
        await kds?.server.close()
        unlink(socket)
    }

    /// The KDS cache and its HTTP endpoint, and the task that keeps its CRLs current.
    static func startKDS(
        _ service: DaemonConfiguration.KDSService?, logger: Logger
    ) async throws -> (server: KDSCacheServer, refresher: Task<Void, Never>)? {
        guard let service else { return nil }
        var client = KDSClient(configuration: KDSConfiguration(baseURL: service.upstream))
        client.gate = KDSRetryGate()
        let cache = KDSCache(
            upstream: client, directory: URL(fileURLWithPath: service.cacheDirectory),
            check: KDSAnswerCheck(testRoots: service.testRoots), crlRefreshMargin: service.crlRefreshMargin,
            log: { line in logger.notice("\(line)") })
        let server: KDSCacheServer
        do {
            server = try await KDSCacheServer.start(cache: cache, configuration: service.server, logger: logger)
        } catch {
            throw StartupError(description: "--kds-listen \(service.server.host):\(service.server.port): cannot listen: \(error)")
        }
        logger.info("kds cache listening", metadata: [
            "address": "\(service.server.host):\(server.address.port ?? 0)", "upstream": "\(service.upstream)",
            "cache": "\(service.cacheDirectory)",
        ])
        let interval = service.crlCheckInterval
        let keeper = service.certificateTable.map {
            (CertificateTableKeeper(tablePath: $0.path, firmware: $0.firmware, product: $0.product, cache: cache), $0.interval)
        }
        let refresher = Task {
            var nextCRLCheck = Date().addingTimeInterval(interval)
            while !Task.isCancelled {
                if let (keeper, _) = keeper {
                    do {
                        if let written = try await keeper.refresh() {
                            logger.notice("snp certificate table rewritten", metadata: ["table": "\(keeper.path)", "entries": "\(written.joined(separator: ","))"])
                        }
                    } catch {
                        logger.warning("snp certificate table not refreshed", metadata: ["table": "\(keeper.path)", "reason": "\(error)"])
                    }
                }
                if Date() >= nextCRLCheck {
                    nextCRLCheck = Date().addingTimeInterval(interval)
                    for object in await cache.refreshDueCRLs() {
                        logger.info("kds cache: refreshed", metadata: ["object": "\(object.cacheName)"])
                    }
                }
                try? await Task.sleep(for: .seconds(min(interval, keeper?.1 ?? interval)))
            }
        }
        return (server, refresher)
    }

    /// A socket file left by a daemon that died is removed; one a live daemon answers on is
    /// not taken over.
    static func prepareSocketPath(_ path: String) throws {
        guard path.utf8.count <= DaemonConfiguration.maximumSocketPathLength else {
            throw StartupError(description: "--socket \(path): longer than \(DaemonConfiguration.maximumSocketPathLength) bytes")
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw StartupError(description: "--socket \(path): exists and is not a socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected == 0 {
            throw StartupError(description: "--socket \(path): another sevhostd is listening there")
        }
        unlink(path)
    }
}
