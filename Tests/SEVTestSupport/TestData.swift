import Foundation
import XCTest

/// Locates the shared AMD test data (`../shared/testdata`, or `SEVHOST_TESTDATA`).
///
/// Tests read the data in place; nothing from it is committed. Without it a test skips with a
/// message, except under `CI=true`, where a missing pool is a failure: a green CI run must mean
/// the vectors were checked.
public enum TestData {
    public static var root: URL {
        if let explicit = ProcessInfo.processInfo.environment["SEVHOST_TESTDATA"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return PackageRoot.url.appendingPathComponent("../shared/testdata").standardizedFileURL
    }

    /// The URL of a file in the pool, or a skip (a failure under CI) when the pool is absent.
    public static func url(_ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let url = root.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            try Peers.missing("test data \(url.path) (set SEVHOST_TESTDATA)", file: file, line: line)
        }
        return url
    }

    public static func bytes(_ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath, file: file, line: line)))
    }

    /// Parses one of the pool's JSON vector files.
    public static func json(_ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relativePath, file: file, line: line)))
    }
}

/// The checkout this test binary was built from (tests run from `.build/<config>/`).
public enum PackageRoot {
    public static let url: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir
            }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()
}
