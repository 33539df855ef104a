import Foundation

/// Where the libvirt domain template is found, for sevhost and sevhostd alike.
public enum LaunchTemplates {
    /// `override` (an option), else `SEVHOST_TEMPLATES`, else the `templates/` of the checkout
    /// the binary was built in (`.build/<config>/sevhost` → `../../templates`), else
    /// `../share/sevhost/templates` from the binary (where the Debian package puts them,
    /// `/usr/bin` → `/usr/share`, and so also in a package unpacked under another root), else
    /// `/usr/share/sevhost/templates`.
    public static func directory(override: String?, executable: String = CommandLine.arguments[0]) -> URL {
        if let override { return URL(fileURLWithPath: override) }
        if let env = ProcessInfo.processInfo.environment["SEVHOST_TEMPLATES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        var dir = binary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("templates")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(ResolvedLaunch.libvirtTemplateFile).path) {
                return candidate
            }
            dir.deleteLastPathComponent()
        }
        let installed = binary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/sevhost/templates")
        if FileManager.default.fileExists(atPath: installed.appendingPathComponent(ResolvedLaunch.libvirtTemplateFile).path) {
            return installed
        }
        return URL(fileURLWithPath: "/usr/share/sevhost/templates")
    }
}
