import Foundation
import Launch

extension CreateVMRequest {
    /// The request for the spec file at `path`, read and checked here first (so a syntax or
    /// schema error names the file's own line), with its relative paths made absolute against
    /// the file's directory: the daemon reads them from elsewhere.
    public init(specFile path: String) throws(LaunchFailure) {
        let document = try SpecDocument.load(path: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        self.init(spec: document.spec.absolutizingPaths(relativeTo: directory).jsonText, file: path)
    }
}

extension VMSpec {
    /// The spec with every relative file path in it made absolute against `directory`.
    ///
    /// A spec's relative paths mean "next to the spec file" to the person who wrote it, but the
    /// daemon reads them from its own working directory, on behalf of another process: the
    /// client resolves them before it sends the spec (see `CreateVMRequest`). `directory`
    /// itself is made absolute against the current directory first.
    ///
    /// Paths: firmware image and variable store, kernel and initrd, disk images, the QMP
    /// socket, the SEV session files, the SNP ID and author keys, and the file of a `file:`, `pipe:` or `unix:` serial
    /// chardev. Absolute paths are left as they are; so are values that are not paths (inline
    /// base64, `stdio`, `pty`).
    public func absolutizingPaths(relativeTo directory: String) -> VMSpec {
        let base = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL.path
        func absolute(_ path: String) -> String { SpecPaths.absolute(path, base: base) }
        var spec = self
        spec.firmware.path = absolute(firmware.path)
        spec.firmware.vars = firmware.vars.map(absolute)
        if var kernel {
            kernel.path = absolute(kernel.path)
            kernel.initrd = kernel.initrd.map(absolute)
            spec.kernel = kernel
        }
        spec.disks = disks?.map { disk in
            var disk = disk
            disk.path = absolute(disk.path)
            return disk
        }
        spec.qmp = qmp.map(absolute)
        spec.serial = serial.map { SpecPaths.serial($0, base: base) }
        spec.confidential.dhCertFile = confidential.dhCertFile.map(absolute)
        spec.confidential.sessionFile = confidential.sessionFile.map(absolute)
        spec.confidential.idKey = confidential.idKey.map(absolute)
        spec.confidential.authorKey = confidential.authorKey.map(absolute)
        return spec
    }

    /// The spec as JSON text with sorted keys (the schema of sevhost-spec(5)), as the CLI
    /// sends it in `CreateVMRequest.spec`.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // A spec holds strings, integers, booleans and enums: it always encodes.
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }
}

/// Joining a spec's relative paths onto the spec's directory, lexically.
enum SpecPaths {
    static func absolute(_ path: String, base: String) -> String {
        if path.isEmpty || path.hasPrefix("/") { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2).drop(while: { $0 == "/" }) }
        if relative.isEmpty || relative == "." { return base }
        return (base.hasSuffix("/") ? base : base + "/") + relative
    }

    /// QEMU's `-serial` takes `file:PATH`, `pipe:PATH` and `unix:PATH[,options]` with a
    /// path in them; every other form (`stdio`, `pty`, `/dev/ttyS0`, `tcp:…`) is kept.
    static func serial(_ value: String, base: String) -> String {
        for prefix in ["file:", "pipe:", "unix:"] where value.hasPrefix(prefix) {
            let rest = value.dropFirst(prefix.count)
            let comma = rest.firstIndex(of: ",") ?? rest.endIndex
            let path = String(rest[..<comma])
            guard !path.isEmpty else { return value }
            return prefix + absolute(path, base: base) + rest[comma...]
        }
        return value
    }
}
