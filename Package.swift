// swift-tools-version: 6.0
//
// sevhost: a host-side launcher and orchestrator for AMD SEV, SEV-ES and SEV-SNP guests.
// Layers (docs/ARCHITECTURE.md, kept true by Tests/ArchitectureTests): a target imports only
// targets of lower layers, and declares exactly what it imports.
//
//   5 programs       sevhost (CLI) · sevhostd (daemon) · sevhost-sim (QEMU, simulated AMD-SP) · sevhost-bench
//   4 daemon         SEVDaemon (VM store, QEMU supervision, HTTP API)
//   3 orchestration  Orchestration (launch resolution, pre-attestation, KDS, the daemon's API client)
//                    · QEMUFront (sevhost-sim: the real QEMU, a QMP proxy, the simulated AMD-SP)
//   2 peers and host Launch (spec → QEMU argv / libvirt XML) · QMP · Libvirt · SEVPlatform (host I/O)
//                    · SEVPlatformSimulator · SEVLaunchSimulator (software AMD-SP firmware)
//   1 formats        SEVKit (pure formats and cryptography)
//   0 system         AtomicFiles · BoundedFiles · CHostProbe (CPUID, KVM) · CSEVFirmware (<linux/psp-sev.h>)
//                    · CHTTPGet (libcurl) · CProcess (spawn, SO_PEERCRED) · CFileLock (OFD locks)
//                    · CLibvirt (libvirt's C API)
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
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // MARK: 0 system
        // All-or-nothing file writes with the final mode from creation (POSIX only).
        .target(name: "AtomicFiles"),
        // Bounded reads of regular files only: the one reader of every input file.
        .target(name: "BoundedFiles"),
        // CPUID and KVM_GET_API_VERSION: the two host reads Swift cannot make itself.
        .target(name: "CHostProbe"),
        // The /dev/sev ioctls through the kernel's <linux/psp-sev.h> (linux-libc-dev 6.12).
        .target(name: "CSEVFirmware"),
        // HTTP GET through libcurl loaded at run time (KDS fetches), so executables start without it.
        .target(name: "CHTTPGet"),
        // posix_spawn into a new session, SO_PEERCRED and a process's groups, for the daemon;
        // a child that dies with its parent (PR_SET_PDEATHSIG), for sevhost-sim's QEMU.
        .target(name: "CProcess"),
        // Open-file-description locks (F_OFD_SETLKW), for the SNP certificate table's protocol.
        .target(name: "CFileLock"),
        // libvirt's C API (libvirt-dev 11.3 from bookworm-backports, found through pkg-config).
        .systemLibrary(name: "CLibvirt", pkgConfig: "libvirt", providers: [.apt(["libvirt-dev"])]),

        // MARK: 1 formats
        .target(
            name: "SEVKit",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),

        // MARK: 2 peers and host
        .target(name: "SEVPlatform", dependencies: ["SEVKit", "BoundedFiles", "CHostProbe", "CSEVFirmware", "CFileLock", "AtomicFiles"]),
        .target(name: "Launch", dependencies: ["SEVKit", "BoundedFiles", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "QMP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // libvirt over its C API: connections (local or remote URIs), host SEV facts, domains and
        // their launch security; no libvirt type leaves it.
        .target(name: "Libvirt", dependencies: ["CLibvirt"]),
        // A software SEV firmware's platform-owner commands, state in a directory (--firmware sim:DIR).
        .target(
            name: "SEVPlatformSimulator",
            dependencies: ["SEVKit", "AtomicFiles", "BoundedFiles", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // A software SEV firmware's guest launch commands (LAUNCH_START … LAUNCH_SECRET), for sevhost-sim.
        .target(
            name: "SEVLaunchSimulator",
            dependencies: [
                "SEVKit", "AtomicFiles", "BoundedFiles",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // MARK: 3 orchestration
        .target(
            name: "Orchestration",
            dependencies: [
                "SEVKit", "SEVPlatform", "Launch", "QMP", "Libvirt", "AtomicFiles", "BoundedFiles", "CHTTPGet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // sevhost-sim's machinery: the real QEMU started from the client's argv with the SEV
        // parts taken out, a QMP proxy in front of it, and the simulated AMD-SP
        // (SEVLaunchSimulator) answering the commands only SEV hardware can answer.
        .target(
            name: "QEMUFront",
            dependencies: [
                "SEVKit", "SEVLaunchSimulator", "QMP", "CProcess", "AtomicFiles", "BoundedFiles",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // MARK: 4 daemon
        .target(
            name: "SEVDaemon",
            dependencies: [
                "SEVKit", "Orchestration", "AtomicFiles", "BoundedFiles", "CProcess",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),

        // MARK: 5 programs
        .executableTarget(
            name: "sevhost",
            dependencies: [
                "SEVKit", "SEVPlatform", "QMP", "Orchestration", "SEVPlatformSimulator", "AtomicFiles", "BoundedFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sevhostd",
            dependencies: [
                "SEVDaemon", "SEVKit", "Orchestration", "BoundedFiles", "SEVPlatform", "SEVPlatformSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The front's command line: QEMU's argv, or the platform export modes.
        .executableTarget(
            name: "sevhost-sim",
            dependencies: ["SEVKit", "SEVLaunchSimulator", "QEMUFront", "QMP", "AtomicFiles", "BoundedFiles"]
        ),
        // The fuzz targets of every parser of outside bytes (ROBUSTNESS.md): a replayer normally,
        // libFuzzer's targets when scripts/fuzz builds it with -sanitize=fuzzer.
        .executableTarget(
            name: "sevhost-fuzz",
            dependencies: [
                "SEVKit", "SEVPlatform", "QMP", "Orchestration", "SEVDaemon", "BoundedFiles",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The measurements behind BENCHMARKS.md, kept out of the sevhost a user installs.
        .executableTarget(
            name: "sevhost-bench",
            dependencies: [
                "SEVKit", "QMP", "Orchestration", "SEVLaunchSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: tests
        // Shared test plumbing: locating ../shared/testdata, the peers, running processes.
        .target(name: "SEVTestSupport", path: "Tests/SEVTestSupport"),
        .testTarget(name: "ArchitectureTests", dependencies: ["SEVTestSupport"]),
        .testTarget(
            name: "AtomicFilesTests",
            dependencies: ["AtomicFiles"]
        ),
        .testTarget(
            name: "SEVKitTests",
            dependencies: [
                "SEVKit", "SEVTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "SEVPlatformTests", dependencies: ["SEVKit", "SEVPlatform", "SEVTestSupport"]),
        .testTarget(
            name: "SEVFirmwareTests",
            dependencies: [
                "SEVKit", "SEVPlatform", "CSEVFirmware", "SEVPlatformSimulator",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "LaunchTests", dependencies: ["Launch", "SEVKit", "SEVTestSupport"]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "SEVTestSupport"]),
        .testTarget(
            name: "OrchestrationTests",
            dependencies: ["Orchestration", "Launch", "SEVKit", "SEVTestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "SEVDaemonTests",
            dependencies: [
                "SEVDaemon", "Orchestration", "SEVKit", "SEVTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "sevhostTests",
            dependencies: ["SEVKit", "SEVLaunchSimulator", "SEVTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "SEVKit", "SEVLaunchSimulator", "Orchestration", "QMP", "SEVTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "QEMUFrontTests", dependencies: ["QEMUFront", "QMP"]),
        // Against a real libvirtd 11.3 (scripts/libvirt-sandbox) running sevhost-sim as its emulator.
        .testTarget(name: "LibvirtTests", dependencies: ["SEVKit", "SEVTestSupport"]),
    ]
)
