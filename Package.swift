// swift-tools-version: 6.0
//
// sevhost: a host-side launcher and orchestrator for AMD SEV, SEV-ES and SEV-SNP guests.
// Layers (see DESIGN.md): every target imports only the ones below it.
//
//   sevhost (CLI) · sevhostd (daemon: SEVDaemon)
//     SEVHostKit (orchestration)
//       QMP · Launch
//         SEVPlatform (host I/O) ─ CSEVPlatform (cpuid, <linux/psp-sev.h>)
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
        .target(name: "CSEVPlatform"),
        // HTTP GET through libcurl loaded at run time (KDS fetches), so executables start without it.
        .target(name: "CHTTPGet"),
        // The /dev/sev ioctls through the kernel's <linux/psp-sev.h> (linux-libc-dev 6.12).
        .target(name: "CSEVFirmware"),
        .target(name: "SEVPlatform", dependencies: ["SEVKit", "CSEVPlatform", "CSEVFirmware"]),
        // A software SEV firmware (platform management) whose state lives in a directory.
        .target(
            name: "SEVFirmwareSimulator",
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
            name: "SEVHostKit",
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
                "SEVKit", "SEVPlatform", "CSEVPlatform", "Launch", "QMP", "SEVHostKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "sevhostd",
            dependencies: [
                "SEVDaemon", "SEVPlatform", "SEVHostKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A software SEV firmware (platform keys, launch state machine) for sevhost-sim and tests.
        .target(
            name: "SEVSimulator",
            dependencies: [
                "SEVKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Plays QEMU (argv + QMP) in front of SEVSimulator.
        .executableTarget(
            name: "sevhost-sim",
            dependencies: [
                "SEVKit", "SEVSimulator", "QMP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "sevhost",
            dependencies: [
                "SEVKit", "SEVPlatform", "Launch", "QMP", "SEVHostKit", "SEVFirmwareSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Shared test plumbing: locating ../shared/testdata, the peers, running processes.
        .target(name: "SEVTestSupport", path: "Tests/SEVTestSupport"),
        .testTarget(name: "SEVKitTests", dependencies: ["SEVKit", "SEVTestSupport"]),
        .testTarget(name: "SEVPlatformTests", dependencies: ["SEVPlatform", "SEVTestSupport"]),
        .testTarget(
            name: "SEVFirmwareTests",
            dependencies: ["SEVKit", "SEVPlatform", "CSEVFirmware", "SEVFirmwareSimulator", "SEVTestSupport"]
        ),
        .testTarget(name: "LaunchTests", dependencies: ["Launch", "SEVTestSupport"]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "SEVTestSupport"]),
        .testTarget(
            name: "SEVHostKitTests",
            dependencies: ["SEVHostKit", "Launch", "SEVTestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(name: "SEVDaemonTests", dependencies: ["SEVDaemon", "SEVHostKit", "Launch", "SEVTestSupport"]),
        .testTarget(name: "sevhostTests", dependencies: ["SEVKit", "SEVPlatform", "SEVSimulator", "SEVTestSupport"]),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "SEVKit", "SEVSimulator", "Launch", "QMP", "SEVTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
)
