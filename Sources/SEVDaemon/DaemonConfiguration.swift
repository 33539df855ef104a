import SEVKit

/// Everything sevhostd is told at start-up (see sevhostd(8)).
public struct DaemonConfiguration: Sendable {
    /// The API's Unix socket.
    public var socketPath: String
    /// Permission bits of the socket file (0660: the owner and the group may connect).
    public var socketMode: UInt32
    /// Owner and group of the socket file; nil keeps the daemon's own.
    public var socketOwner: UInt32?
    public var socketGroup: UInt32?
    /// Holds `sevhostd.sqlite` and one directory per VM (QEMU's log and pid file, session files).
    public var stateDirectory: String
    /// Holds the QMP sockets (`NAME.qmp`); short, because a socket path is at most 107 bytes.
    public var runDirectory: String
    /// The program run as QEMU: anything that takes QEMU's command line (sevhost-sim in tests).
    public var qemu: String
    /// Its release, when known: the argv states the SEV VM type only to QEMU 9.1 and later.
    public var qemuVersion: QEMUVersion?
    /// C-bit position and reduced-phys-bits for `-object sev-guest`.
    public var host: HostSEVParameters?
    /// Seconds between `quit` and SIGTERM, and between SIGTERM and SIGKILL, on `stop`.
    public var stopTimeout: Double
    /// Seconds a new QEMU has to open its QMP socket and, for pre-attestation, be measured.
    public var startTimeout: Double
    /// The most events kept per VM; older ones are dropped as new ones arrive.
    public var eventHistory: Int
    /// The defaults of `stopTimeout` and `startTimeout`, in seconds.
    public static let defaultStopTimeout: Double = 30
    public static let defaultStartTimeout: Double = 60
    /// The default of `eventHistory`: months of an ordinary guest's life, a few hundred KiB.
    public static let defaultEventHistory = 1000
    public var version: String
    /// Seconds a client has to send a request's head (and an idle connection may stay open),
    /// and then its body.
    public var headerTimeout: Double
    public var bodyTimeout: Double
    /// The most API connections open at once; further clients wait until one closes.
    public var maximumConnections: Int
    public static let defaultHeaderTimeout: Double = 10
    public static let defaultBodyTimeout: Double = 30
    public static let defaultMaximumConnections = 64
    /// For crash-consistency tests: the step boundary at which the daemon kills itself
    /// (`SEVHOSTD_CRASH_AT`); nil in normal use.
    public var crashPoint: String?
    /// The environment variable sevhostd reads `crashPoint` from.
    public static let crashPointVariable = "SEVHOSTD_CRASH_AT"
    /// The KDS cache endpoint, when the operator asked for one (`--kds-listen`).
    public var kds: KDSService?
    /// libvirt URIs (`--connect`, in order): when any is given, new VMs run as libvirt domains
    /// on these hosts instead of as sevhostd's own QEMU children.
    public var libvirtURIs: [String] = []
    /// Where the libvirt domain template is (`libvirt/domain.xml` under it).
    public var templatesDirectory: String?

    /// sevhostd's KDS cache: where it listens, where it fetches from, where it keeps objects.
    public struct KDSService: Sendable {
        public var server: KDSCacheServer.Configuration
        /// KDS itself, or a mirror.
        public var upstream: String
        public var cacheDirectory: String
        /// PEM/DER roots trusted besides AMD's pinned ones (tests of a simulated platform).
        public var testRoots: [SNPCertificate]
        /// A CRL is fetched again when less than this many seconds remain before its nextUpdate.
        public var crlRefreshMargin: Double
        /// Seconds between looks at the CRLs held.
        public var crlCheckInterval: Double
        /// The host's SNP certificate table to keep current, with the firmware and product it follows.
        public var certificateTable: CertificateTableService?

        public init(
            server: KDSCacheServer.Configuration, upstream: String, cacheDirectory: String, testRoots: [SNPCertificate] = [],
            crlRefreshMargin: Double = 24 * 3600, crlCheckInterval: Double = 3600
        ) {
            self.server = server
            self.upstream = upstream
            self.cacheDirectory = cacheDirectory
            self.testRoots = testRoots
            self.crlRefreshMargin = crlRefreshMargin
            self.crlCheckInterval = crlCheckInterval
        }
    }

    /// `--snp-certs-table`: the table sevhostd rewrites (under the lock) whenever the firmware's
    /// reported TCB calls for another VCEK.
    public struct CertificateTableService: Sendable {
        public var path: String
        public var firmware: any SEVFirmware
        public var product: AMDProduct
        /// Seconds between looks at the firmware.
        public var interval: Double

        public init(path: String, firmware: any SEVFirmware, product: AMDProduct, interval: Double) {
            self.path = path
            self.firmware = firmware
            self.product = product
            self.interval = interval
        }
    }

    public init(
        socketPath: String, socketMode: UInt32 = 0o660, socketOwner: UInt32? = nil, socketGroup: UInt32? = nil,
        stateDirectory: String, runDirectory: String, qemu: String, qemuVersion: QEMUVersion? = nil,
        host: HostSEVParameters?, stopTimeout: Double = DaemonConfiguration.defaultStopTimeout, startTimeout: Double = DaemonConfiguration.defaultStartTimeout, eventHistory: Int = DaemonConfiguration.defaultEventHistory, version: String,
        headerTimeout: Double = DaemonConfiguration.defaultHeaderTimeout, bodyTimeout: Double = DaemonConfiguration.defaultBodyTimeout,
        maximumConnections: Int = DaemonConfiguration.defaultMaximumConnections, crashPoint: String? = nil
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.socketOwner = socketOwner
        self.socketGroup = socketGroup
        self.stateDirectory = stateDirectory
        self.runDirectory = runDirectory
        self.qemu = qemu
        self.qemuVersion = qemuVersion
        self.host = host
        self.stopTimeout = stopTimeout
        self.startTimeout = startTimeout
        self.eventHistory = eventHistory
        self.version = version
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maximumConnections = maximumConnections
        self.crashPoint = crashPoint
    }

    public var databasePath: String { stateDirectory + "/sevhostd.sqlite" }

    public func vmDirectory(_ name: String) -> String { stateDirectory + "/vms/" + name }

    public func qmpSocket(_ name: String) -> String { runDirectory + "/" + name + ".qmp" }

    /// The longest path `sockaddr_un` takes (108 bytes with the terminating NUL).
    public static let maximumSocketPathLength = 107
}
