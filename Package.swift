// swift-tools-version: 6.0
//
// sevhost: a host-side launcher and orchestrator for AMD SEV, SEV-ES and SEV-SNP guests.
// Layers (see DESIGN.md): every target imports only the ones below it.
//
//   sevhost (CLI) · sevhostd (daemon: SEVDaemon)
//     Orchestration (launch resolution, pre-attestation, KDS, the daemon API)
//       QMP · Launch
//         SEVPlatform (host I/O) ─ CHostProbe (cpuid), CSEVFirmware (<linux/psp-sev.h>)
//           SEVKit (pure formats and cryptography)
import PackageDescription

let package = Package(
    name: "sevhost",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sevhost", targets: ["sevhost"]),
        .executable(name: "sevhost-sim", targets: ["sevhost-sim"]),
        .executable(name: "sevhostd", targets: ["sevhostd"]),
        .library(name: "SEVKit", targets: ["SEVKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        .target(
            name: "SEVKit",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // CPUID and KVM_GET_API_VERSION: the two host reads Swift cannot make itself.
        .target(name: "CHostProbe"),
        // posix_spawn into a new session, SO_PEERCRED and a process's groups, for the daemon.
        .target(name: "CProcess"),
        // HTTP GET through libcurl loaded at run time (KDS fetches), so executables start without it.
        .target(name: "CHTTPGet"),
        // The /dev/sev ioctls through the kernel's <linux/psp-sev.h> (linux-libc-dev 6.12).
        .target(name: "CSEVFirmware"),
        .target(name: "SEVPlatform", dependencies: ["SEVKit", "CHostProbe", "CSEVFirmware"]),
        // A software SEV firmware (platform management) whose state lives in a directory.
        .target(
            name: "SEVPlatformSimulator",
            dependencies: [
                "SEVKit", "SEVPlatform",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "Launch", dependencies: ["SEVKit", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "QMP",
            dependencies: [
                "SEVKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Orchestration",
            dependencies: [
                "SEVKit", "SEVPlatform", "Launch", "QMP", "CHTTPGet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The host daemon's machinery: VM store (SQLite), QEMU supervision, the HTTP API.
        .target(
            name: "SEVDaemon",
            dependencies: [
                "SEVKit", "SEVPlatform", "CProcess", "Launch", "QMP", "Orchestration",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "sevhostd",
            dependencies: [
                "SEVDaemon", "SEVKit", "SEVPlatform", "Orchestration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A software SEV firmware (platform keys, launch state machine) for sevhost-sim and tests.
        .target(
            name: "SEVLaunchSimulator",
            dependencies: [
                "SEVKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Plays QEMU (argv + QMP) in front of SEVLaunchSimulator.
        .executableTarget(
            name: "sevhost-sim",
            dependencies: [
                "SEVKit", "SEVLaunchSimulator", "QMP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "sevhost",
            dependencies: [
                "SEVKit", "SEVPlatform", "Launch", "QMP", "Orchestration", "SEVPlatformSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Shared test plumbing: locating ../shared/testdata, the peers, running processes.
        .target(name: "SEVTestSupport", path: "Tests/SEVTestSupport"),
        .testTarget(name: "SEVKitTests", dependencies: ["SEVKit", "SEVTestSupport"]),
        .testTarget(name: "SEVPlatformTests", dependencies: ["SEVPlatform", "SEVTestSupport"]),
        .testTarget(
            name: "SEVFirmwareTests",
            dependencies: ["SEVKit", "SEVPlatform", "CSEVFirmware", "SEVPlatformSimulator", "SEVTestSupport"]
        ),
        .testTarget(name: "LaunchTests", dependencies: ["Launch", "SEVKit", "SEVTestSupport"]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "SEVTestSupport"]),
        .testTarget(
            name: "OrchestrationTests",
            dependencies: ["Orchestration", "Launch", "SEVTestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(name: "SEVDaemonTests", dependencies: ["SEVDaemon", "Orchestration", "Launch", "SEVTestSupport"]),
        .testTarget(name: "sevhostTests", dependencies: ["SEVKit", "SEVPlatform", "SEVTestSupport"]),
        .testTarget(name: "SimulatorTests", dependencies: ["SEVKit", "SEVLaunchSimulator", "Launch", "QMP", "SEVTestSupport"]),
    ]
)
