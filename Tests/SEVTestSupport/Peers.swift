import Foundation
import XCTest

/// The real programs tests compare against, installed by `scripts/setup`.
///
/// A peer that is missing skips the test locally and fails it under `CI=true`.
public enum Peers {
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Skips (or fails, under CI) because `what` is not available.
    public static func missing(_ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> Never {
        if isCI {
            XCTFail("missing under CI=true: \(what)", file: file, line: line)
            throw XCTSkip("missing under CI: \(what)")
        }
        throw XCTSkip("skipped: \(what) is not available; run scripts/setup")
    }

    /// The Python venv made by `scripts/setup` (`SEVHOST_VENV`, default `<repo>/.venv`).
    public static var venv: URL {
        if let explicit = ProcessInfo.processInfo.environment["SEVHOST_VENV"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return PackageRoot.url.appendingPathComponent(".venv")
    }

    /// Directory where `scripts/setup` unpacks peers that cannot be installed side by side
    /// (QEMU 7.2, libvirt 9.0's schemas): `SEVHOST_PEERS`, default `<repo>/.peers`.
    public static var peersDirectory: URL {
        if let explicit = ProcessInfo.processInfo.environment["SEVHOST_PEERS"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return PackageRoot.url.appendingPathComponent(".peers")
    }

    /// A tool from the venv (`sev-snp-measure`, `python`).
    public static func venvTool(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let url = venv.appendingPathComponent("bin/\(name)")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            try missing("\(name) in \(venv.path)", file: file, line: line)
        }
        return url
    }

    /// An executable at an absolute path, e.g. `/usr/bin/qemu-system-x86_64` (QEMU 10, backports).
    public static func executable(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            try missing(path, file: file, line: line)
        }
        return URL(fileURLWithPath: path)
    }

    /// QEMU 10 from bookworm-backports (has sev-snp-guest).
    public static func qemu10(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        try executable("/usr/bin/qemu-system-x86_64", file: file, line: line)
    }

    /// QEMU 7.2 (Debian 12's own), unpacked by `scripts/setup` into `.peers/qemu-7.2`.
    /// Run it through `.peers/qemu-7.2/run`, a wrapper that sets its module and data paths.
    public static func qemu72(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        try executable(peersDirectory.appendingPathComponent("qemu-7.2/run").path, file: file, line: line)
    }

    /// The `sevhost` executable built next to this test bundle.
    public static var sevhost: URL {
        productsDirectory.appendingPathComponent("sevhost")
    }

    /// `.build/<config>/`, where SwiftPM puts executables and the test bundle.
    public static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }
}
