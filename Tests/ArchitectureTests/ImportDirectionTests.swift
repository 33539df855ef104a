import Foundation
import SEVTestSupport
import XCTest

/// The layering docs/ARCHITECTURE.md describes is the layering the code has: every import
/// points down, and Package.swift declares exactly what each target imports.
final class ImportDirectionTests: XCTestCase {
    /// The package as it is: no violation.
    func testThePackageImportsOnlyDownwardAndDeclaresWhatItImports() throws {
        let root = PackageRoot.url
        let manifest = PackageManifest(text: try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8))
        let layers = LayerTable(markdown: try String(contentsOf: root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8))
        XCTAssertGreaterThan(manifest.targets.count, 20, "the manifest reader found too few targets to be reading Package.swift")
        XCTAssertEqual(layers.layers.map(\.number), Array(0..<layers.layers.count), "layers are numbered from 0, in order")

        var sources: [String: [(path: String, text: String)]] = [:]
        for target in manifest.targets {
            sources[target.name] = try Self.swiftFiles(under: root.appendingPathComponent(target.path)).map { url in
                (String(url.path.dropFirst(root.path.count + 1)), try String(contentsOf: url, encoding: .utf8))
            }
        }
        // Every directory of Sources/ and Tests/ that holds code is some target's.
        let claimed = Set(manifest.targets.map(\.path))
        for top in ["Sources", "Tests"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(top).path) where name != "Fixtures" {
                XCTAssertTrue(claimed.contains("\(top)/\(name)"), "\(top)/\(name) is no target of Package.swift")
            }
        }
        // Every non-test target is in the table, and the table names no target that is not one.
        let documented = Set(layers.layers.flatMap(\.targets))
        XCTAssertEqual(documented, Set(manifest.targets.filter { !$0.isTestTier }.map(\.name)))

        XCTAssertEqual(ImportRules(manifest: manifest, layers: layers, sources: sources).violations(), [])
    }

    /// The check catches a deliberately wrong import: a pure layer importing an I/O one (up), two
    /// targets of one layer importing each other (sideways), an import not declared, and a
    /// declaration never imported. Each is named with its file and line.
    func testAWrongImportIsCaught() {
        let manifest = PackageManifest(text: """
            let package = Package(
                name: "example",
                targets: [
                    .target(name: "Formats"),
                    .target(name: "HostIO", dependencies: ["Formats"]),
                    // A peer of HostIO.
                    .target(name: "Monitor", dependencies: ["Formats", .product(name: "NIOCore", package: "swift-nio")]),
                    .executableTarget(name: "tool", dependencies: ["HostIO", "Monitor", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
                    .testTarget(name: "FormatsTests", dependencies: ["Formats"]),
                ]
            )
            """)
        let layers = LayerTable(markdown: """
            | layer | name | targets | may import |
            |---|---|---|---|
            | 0 | formats | `Formats` | nothing of the package |
            | 1 | peers | `HostIO`, `Monitor` | layer 0 |
            | 2 | programs | `tool` | layers 0 and 1 |
            """)
        let sources: [String: [(path: String, text: String)]] = [
            "Formats": [("Sources/Formats/Policy.swift", "import Foundation\nimport HostIO\n\nstruct Policy {}\n")],
            "HostIO": [("Sources/HostIO/Probe.swift", "#if canImport(Glibc)\nimport Glibc\n#endif\nimport Formats\n@preconcurrency import Monitor\n")],
            "Monitor": [("Sources/Monitor/Client.swift", "import Formats\nimport NIOCore\nimport NIOPosix\n")],
            "tool": [("Sources/tool/main.swift", "import ArgumentParser\nimport HostIO\nlet text = \"\"\"\nimport Monitor\n\"\"\"\n")],
            "FormatsTests": [("Tests/FormatsTests/PolicyTests.swift", "@testable import Formats\nimport XCTest\n")],
        ]
        XCTAssertEqual(ImportRules(manifest: manifest, layers: layers, sources: sources).violations(), [
            "Package.swift: Formats imports HostIO but does not declare it",
            "Package.swift: HostIO imports Monitor but does not declare it",
            "Package.swift: tool declares Monitor but never imports it",
            "Sources/Formats/Policy.swift:2: Formats (layer 0, formats) imports HostIO (layer 1, peers): an import up",
            "Sources/HostIO/Probe.swift:5: HostIO imports Monitor, both of layer 1 (peers): an import sideways",
            "Sources/Monitor/Client.swift:3: Monitor imports NIOPosix, which it does not declare as a dependency",
        ])
    }

    /// The manifest reader finds kinds, paths and both forms of dependency.
    func testTheManifestReaderFindsTargetsAndDependencies() {
        let manifest = PackageManifest(text: """
            targets: [
                .target(name: "A", dependencies: ["B", .product(name: "Yams", package: "Yams")]),  // "C" in a comment
                .target(name: "Support", path: "Tests/Support"),
                .testTarget(name: "ATests", dependencies: ["A", "Support"]),
            ]
            """)
        XCTAssertEqual(manifest.targets, [
            .init(name: "A", kind: .regular, path: "Sources/A", targetDependencies: ["B"], productDependencies: ["Yams"]),
            .init(name: "ATests", kind: .test, path: "Tests/ATests", targetDependencies: ["A", "Support"], productDependencies: []),
            .init(name: "Support", kind: .regular, path: "Tests/Support", targetDependencies: [], productDependencies: []),
        ])
    }

    static func swiftFiles(under directory: URL) throws -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
    }
}
