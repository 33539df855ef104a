/// Checks a package against its documented layering: every `import` of a package target points
/// down (to a lower layer), never up or sideways; and every target declares exactly the
/// dependencies it imports (test targets too), so Package.swift says what the code does. Test
/// targets, and libraries under `Tests/`, may import any target.
struct ImportRules {
    var manifest: PackageManifest
    var layers: LayerTable
    /// Each target's Swift sources: path (for messages) and text.
    var sources: [String: [(path: String, text: String)]]

    /// Modules of the toolchain and the OS, which no manifest declares.
    static let systemModules: Set<String> = [
        "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Glibc", "Musl", "Darwin", "Dispatch",
        "XCTest", "Testing", "os", "Synchronization", "_Concurrency", "CoreFoundation",
    ]

    /// Every violation, one line each, sorted; empty when the package keeps its layering.
    func violations() -> [String] {
        var found: [String] = []
        let targetNames = Set(manifest.targets.map(\.name))
        for target in manifest.targets {
            let own = target.isTestTier ? nil : layers.layer(of: target.name)
            if !target.isTestTier, own == nil {
                found.append("\(target.name): not in the layer table of docs/ARCHITECTURE.md")
            }
            var imported: Set<String> = []
            for file in sources[target.name] ?? [] {
                for entry in SwiftImports.of(file.text) {
                    imported.insert(entry.module)
                    let place = "\(file.path):\(entry.line)"
                    if targetNames.contains(entry.module) {
                        guard let own else { continue }
                        guard let theirs = layers.layer(of: entry.module) else { continue }
                        if theirs.number > own.number {
                            found.append("\(place): \(target.name) (layer \(own.number), \(own.name)) imports \(entry.module) (layer \(theirs.number), \(theirs.name)): an import up")
                        } else if theirs.number == own.number, entry.module != target.name {
                            found.append("\(place): \(target.name) imports \(entry.module), both of layer \(own.number) (\(own.name)): an import sideways")
                        }
                    } else if !target.productDependencies.contains(entry.module), !Self.systemModules.contains(entry.module) {
                        found.append("\(place): \(target.name) imports \(entry.module), which it does not declare as a dependency")
                    }
                }
            }
            for dependency in target.targetDependencies.union(target.productDependencies) where !imported.contains(dependency) {
                found.append("Package.swift: \(target.name) declares \(dependency) but never imports it")
            }
            for module in imported.intersection(targetNames) where !target.targetDependencies.contains(module) && module != target.name {
                found.append("Package.swift: \(target.name) imports \(module) but does not declare it")
            }
        }
        return found.sorted()
    }
}
