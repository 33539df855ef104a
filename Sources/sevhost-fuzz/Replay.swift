import Foundation

/// `sevhost-fuzz TARGET FILE|DIR...`: runs each input (every file of a directory) through a
/// target, as libFuzzer would, and says how many ran. A crash is the process dying; the tests
/// run the committed seeds and reproducers this way. `sevhost-fuzz --list` names the targets.
enum Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--list"] {
            for target in FuzzTarget.all { print("\(target.name)\t\(target.summary)") }
            exit(0)
        }
        guard let name = arguments.first, let target = FuzzTarget.named(name), arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: sevhost-fuzz TARGET FILE|DIR... (targets: sevhost-fuzz --list)\n".utf8))
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("sevhost-fuzz: \(file): cannot read\n".utf8))
                    exit(1)
                }
                data.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        print("\(target.name): \(count) inputs ran")
    }

    /// `path` itself, or the regular files under it, sorted.
    static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
