import Foundation
import SEVKit

/// Finds the host's QEMU system emulator and asks it for its version.
///
/// SEV-SNP guests need QEMU 9.1 or later (`sev-snp-guest`), so the version matters as much as
/// the presence. Distributions install the binary under different names; the first that exists
/// wins, in the order below.
public enum QEMUInstallation {
    public static let candidates = ["usr/bin/qemu-system-x86_64", "usr/libexec/qemu-kvm", "usr/bin/qemu-kvm"]

    static func find(in root: HostRoot) -> CapturedTools.QEMU {
        guard let relative = candidates.first(where: { root.exists($0) }) else {
            return .init(error: "no QEMU found (looked for " + candidates.map { "/" + $0 }.joined(separator: ", ") + ")")
        }
        let display = root.displayPath(relative)
        switch versionText(executable: root.path(relative), display: display) {
        case .success(let version): return .init(path: display, version: version)
        case .failure(let error): return .init(path: display, error: error.description)
        }
    }

    /// The release of the QEMU `program` names (a path, or a name looked up in PATH), from its
    /// `--version` banner: the launch builder states the SEV VM type only to a QEMU that has
    /// `legacy-vm-type`.
    public static func version(of program: String) -> Result<QEMUVersion, QEMUVersionError> {
        guard let executable = locate(program) else {
            return .failure(QEMUVersionError(description: "\(program): not found" + (program.contains("/") ? "" : " in PATH")))
        }
        return versionText(executable: executable, display: program).flatMap { text in
            QEMUVersion(text).map(Result.success) ?? .failure(QEMUVersionError(description: "\(program) --version: '\(text)' is not a QEMU version"))
        }
    }

    /// The `X.Y.Z` of `executable --version`, at most 4 KiB of it read.
    private static func versionText(executable: String, display: String) -> Result<String, QEMUVersionError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(QEMUVersionError(description: "\(display) --version could not run: \(error.localizedDescription)"))
        }
        let data = (try? output.fileHandleForReading.read(upToCount: 4096)) ?? nil
        try? output.fileHandleForReading.close()
        process.waitUntilExit()
        guard let version = parseVersion(String(decoding: data ?? Data(), as: UTF8.self)) else {
            return .failure(QEMUVersionError(description: "\(display) --version printed no version"))
        }
        return .success(version)
    }

    /// `program` itself when it names a path, else the first executable of that name in PATH.
    private static func locate(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The `X.Y.Z` of QEMU's `--version` banner (`QEMU emulator version 10.0.2 (Debian …)`).
    public static func parseVersion(_ banner: String) -> String? {
        guard let range = banner.range(of: "QEMU emulator version ") else { return nil }
        let rest = banner[range.upperBound...]
        let version = rest.prefix { $0.isNumber || $0 == "." }
        return version.isEmpty ? nil : String(version)
    }
}

/// A dotted version (`6.11.0-rc1`, `10.0.2`) compared numerically component by component.
public struct DottedVersion: Sendable, Comparable, CustomStringConvertible {
    public var components: [Int]

    /// Parses the leading digits-and-dots of `text`; nil when it does not start with a number.
    public init?(_ text: String) {
        let leading = text.prefix { $0.isNumber || $0 == "." }
        let parts = leading.split(separator: ".").compactMap { Int($0) }
        guard !parts.isEmpty else { return nil }
        components = parts
    }

    public init(_ components: Int...) { self.components = components }

    public static func < (lhs: DottedVersion, rhs: DottedVersion) -> Bool {
        for index in 0..<max(lhs.components.count, rhs.components.count) {
            let a = index < lhs.components.count ? lhs.components[index] : 0
            let b = index < rhs.components.count ? rhs.components[index] : 0
            if a != b { return a < b }
        }
        return false
    }

    public static func == (lhs: DottedVersion, rhs: DottedVersion) -> Bool { !(lhs < rhs) && !(rhs < lhs) }

    public var description: String { components.map(String.init).joined(separator: ".") }
}

/// Why a QEMU's version could not be learnt.
public struct QEMUVersionError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
