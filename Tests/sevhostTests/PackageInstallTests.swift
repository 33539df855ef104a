import Foundation
import SEVTestSupport
import XCTest

/// The Debian packages `scripts/package` builds, unpacked into an empty root and run from the
/// unpacked files only: no checkout, no toolchain's runtime, no templates but the packaged ones.
///
/// `scripts/test` builds the packages once (a release build) and names their directory in
/// `SEVHOST_PACKAGE_DIR`; without it these tests skip, even under `CI=true`, so a plain
/// `swift test` need not make a release build.
final class PackageInstallTests: XCTestCase {
    private var root: URL!
    private var version = ""

    override func setUpWithError() throws {
        guard let directory = ProcessInfo.processInfo.environment["SEVHOST_PACKAGE_DIR"], !directory.isEmpty else {
            throw XCTSkip("no SEVHOST_PACKAGE_DIR: scripts/test builds the packages (scripts/package) and sets it")
        }
        let changelog = try String(contentsOf: PackageRoot.url.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = try XCTUnwrap(changelog.split(separator: "\n").first { $0.hasPrefix("## ") })
        version = String(newest.dropFirst(3).split(separator: " ")[0])
        var template = Array("/tmp/sevhost-root-XXXXXX".utf8CString)
        root = URL(fileURLWithPath: String(cString: try XCTUnwrap(mkdtemp(&template))))
        let arch = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/dpkg"), ["--print-architecture"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for package in ["sevhost", "sevhost-sim"] {
            let deb = "\(directory)/\(package)_\(version)_\(arch).deb"
            XCTAssertTrue(FileManager.default.fileExists(atPath: deb), "\(deb) is missing: scripts/package")
            let unpack = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/dpkg-deb"), ["-x", deb, root.path])
            XCTAssertEqual(unpack.status, 0, unpack.stderr)
        }
    }

    override func tearDown() {
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    /// Runs an installed program with a bare environment: no PATH into the toolchain, no
    /// LD_LIBRARY_PATH, no SEVHOST_* variables.
    private func installed(_ program: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
        try Subprocess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["-i", "PATH=/usr/bin:/bin", "HOME=\(root.path)"] + environment.map { "\($0)=\($1)" }.sorted()
                + [root.appendingPathComponent("usr/bin/" + program).path] + arguments,
            currentDirectory: directory)
    }

    func testVersionAndHelpRunFromTheInstalledFiles() throws {
        let sevhost = try installed("sevhost", ["--version"])
        XCTAssertEqual(sevhost.status, 0, sevhost.stderr)
        XCTAssertEqual(sevhost.stdout, version + "\n")
        let daemon = try installed("sevhostd", ["--help"])
        XCTAssertEqual(daemon.status, 0, daemon.stderr)
        XCTAssertTrue(daemon.stdout.hasPrefix("OVERVIEW: The sevhost daemon"), daemon.stdout)
        XCTAssertEqual(daemon.stderr, "")
        XCTAssertEqual(try installed("sevhostd", ["--version"]).stdout, version + "\n")
        let simulator = try installed("sevhost-sim", ["--help"])
        XCTAssertEqual(simulator.status, 0, simulator.stderr)
    }

    /// The executables link no Swift runtime: only libraries of Debian packages, which the
    /// package's Depends names.
    func testTheExecutablesNeedOnlyDebianLibraries() throws {
        for program in ["sevhost", "sevhostd", "sevhost-sim"] {
            let dynamic = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", root.appendingPathComponent("usr/bin/" + program).path])
            XCTAssertEqual(dynamic.status, 0, dynamic.stderr)
            let needed = dynamic.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
            XCTAssertFalse(needed.isEmpty, program)
            for line in needed {
                XCTAssertFalse(line.contains("swift") || line.contains("Foundation") || line.contains("dispatch"), "\(program): \(line)")
            }
        }
        let arch = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/dpkg"), ["--print-architecture"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let deb = ProcessInfo.processInfo.environment["SEVHOST_PACKAGE_DIR"]! + "/sevhost_\(version)_\(arch).deb"
        let depends = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/dpkg-deb"), ["-f", deb, "Depends"]).stdout
        for package in ["libc6", "libsqlite3-0", "libstdc++6", "adduser"] {
            XCTAssertTrue(depends.contains(package), "Depends: \(depends)")
        }
    }

    /// `sevhost launch templates/sev.json --print libvirt` from the installed share directory:
    /// the libvirt template is found next to the installed binary.
    func testLaunchFindsTheInstalledTemplates() throws {
        let share = root.appendingPathComponent("usr/share/sevhost")
        let result = try installed("sevhost", ["launch", "templates/sev.json", "--print", "libvirt", "--cbitpos", "51", "--reduced-phys-bits", "1"], in: share)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("<domain type='kvm'"), result.stdout)
        XCTAssertTrue(result.stdout.contains("<launchSecurity type='sev'>"), result.stdout)
    }

    /// `man sevhost-launch` from the installed pages, and a page for every command the
    /// installed sevhost has (generated, or the hand-written page of its group).
    func testEveryCommandHasAnInstalledManPage() throws {
        let man = root.appendingPathComponent("usr/share/man")
        let page = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/man"), ["sevhost-launch"],
                                      environment: ["MANPATH": man.path, "MANPAGER": "cat", "MANWIDTH": "100", "LANG": "C", "LC_ALL": "C"])
        XCTAssertEqual(page.status, 0, page.stderr)
        XCTAssertTrue(page.stdout.hasPrefix("SEVHOST-LAUNCH(1)"), page.stdout)
        XCTAssertTrue(page.stdout.contains("sevhost launch templates/sev.yaml --print libvirt"), page.stdout)
        XCTAssertTrue(page.stdout.contains("--print"), page.stdout)
        XCTAssertTrue(page.stdout.contains("sevhost \(version)"), page.stdout)

        let dump = try installed("sevhost", ["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let tree = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var names: [String] = []
        func walk(_ node: [String: Any], _ path: [String]) {
            let path = path + [node["commandName"] as? String ?? "?"]
            names.append(path.joined(separator: "-"))
            for child in node["subcommands"] as? [[String: Any]] ?? [] where child["commandName"] as? String != "help" {
                walk(child, path)
            }
        }
        walk(try XCTUnwrap(tree["command"] as? [String: Any]), [])
        XCTAssertGreaterThan(names.count, 50)
        for name in names {
            let section1 = man.appendingPathComponent("man1/\(name).1.gz").path
            let section8 = man.appendingPathComponent("man8/\(name).8.gz").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: section1) || FileManager.default.fileExists(atPath: section8), "no page for \(name)")
        }
        for handwritten in ["man1/sevhost.1.gz", "man5/sevhost-spec.5.gz", "man8/sevhostd.8.gz", "man8/sevhost-firmware.8.gz"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: man.appendingPathComponent(handwritten).path), handwritten)
        }
    }

    /// bash loads the installed completion and completes a subcommand and a nested one.
    func testBashCompletionLoadsAndCompletes() throws {
        let script = root.appendingPathComponent("usr/share/bash-completion/completions/sevhost").path
        let complete = { (words: [String]) throws -> [String] in
            let line = words.map { "'\($0)'" }.joined(separator: " ")
            let result = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["--norc", "--noprofile", "-c", """
                source '\(script)' || exit 3
                complete -p sevhost >/dev/null || exit 4
                COMP_WORDS=(\(line)); COMP_CWORD=\(words.count - 1); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
                fn=$(complete -p sevhost | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')
                "$fn" sevhost "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout.split(separator: "\n").map(String.init)
        }
        XCTAssertTrue(try complete(["sevhost", "lau"]).contains("launch"))
        XCTAssertTrue(try complete(["sevhost", "snp", "cer"]).contains("certs"))
        for file in ["usr/share/zsh/vendor-completions/_sevhost", "usr/share/fish/vendor_completions.d/sevhost.fish",
                     "usr/share/bash-completion/completions/sevhostd"] {
            let size = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(file).path)[.size] as? Int
            XCTAssertGreaterThan(size ?? 0, 100, file)
        }
    }

    /// Both packages name the maintainer scripts/package declares once, a real-looking
    /// address, never a placeholder host.
    func testTheMaintainerIsTheProjects() throws {
        let directory = try XCTUnwrap(ProcessInfo.processInfo.environment["SEVHOST_PACKAGE_DIR"])
        let script = try String(contentsOf: PackageRoot.url.appendingPathComponent("scripts/package"), encoding: .utf8)
        let declared = try XCTUnwrap(script.split(separator: "\n").first { $0.hasPrefix("MAINTAINER=\"") })
        let maintainer = String(declared.dropFirst("MAINTAINER=\"".count).dropLast())
        XCTAssertNotNil(maintainer.range(of: #"^[A-Za-z][^<>]* <[a-z0-9.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}>$"#, options: .regularExpression), maintainer)
        XCTAssertFalse(maintainer.contains("localhost") || maintainer.contains("example."), maintainer)
        let arch = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/dpkg"), ["--print-architecture"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for package in ["sevhost", "sevhost-sim"] {
            let field = try Subprocess.run(
                URL(fileURLWithPath: "/usr/bin/dpkg-deb"), ["-f", "\(directory)/\(package)_\(version)_\(arch).deb", "Maintainer"])
            XCTAssertEqual(field.stdout, maintainer + "\n", package)
        }
    }

    /// The unit and the group, where systemd reads them.
    func testTheUnitAndTheGroupAreInstalled() throws {
        let unit = try String(contentsOf: root.appendingPathComponent("usr/lib/systemd/system/sevhostd.service"), encoding: .utf8)
        XCTAssertTrue(unit.contains("ExecStart=/usr/bin/sevhostd"))
        XCTAssertEqual(try String(contentsOf: root.appendingPathComponent("usr/lib/sysusers.d/sevhost.conf"), encoding: .utf8), "g sevhost - -\n")
        let copyright = try String(contentsOf: root.appendingPathComponent("usr/share/doc/sevhost/copyright"), encoding: .utf8)
        XCTAssertTrue(copyright.contains("License: Apache-2.0"))
    }
}
