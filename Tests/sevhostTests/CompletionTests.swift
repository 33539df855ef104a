import Foundation
import SEVTestSupport
import XCTest

/// The completions `scripts/completions` writes (the ones `scripts/package` installs), loaded
/// in the real shells: values with a colon, `digest --mode snp:ovmf-hash`, complete whole.
final class CompletionTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-completions-\(UUID().uuidString)")
        let write = try Subprocess.run(
            PackageRoot.url.appendingPathComponent("scripts/completions"), [Peers.sevhost.path, directory.path])
        XCTAssertEqual(write.status, 0, write.stderr)
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Completes the end of `line` as bash does: COMP_WORDS split at blanks and at ':' (bash's
    /// COMP_WORDBREAKS), COMP_CWORD the last word, the function `complete -p` names.
    private func bash(_ line: String) throws -> [String] {
        var words: [String] = []
        for blankSeparated in line.split(separator: " ", omittingEmptySubsequences: false) {
            var rest = Substring(blankSeparated)
            while let colon = rest.firstIndex(of: ":") {
                if colon > rest.startIndex { words.append(String(rest[..<colon])) }
                words.append(":")
                rest = rest[rest.index(after: colon)...]
            }
            if !rest.isEmpty || words.last == nil || !blankSeparated.hasSuffix(":") { words.append(String(rest)) }
        }
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let script = directory.appendingPathComponent("bash/sevhost").path
        let result = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), ["--norc", "--noprofile", "-c", """
            source '\(script)' || exit 3
            fn=$(complete -p sevhost | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')
            COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            "$fn" sevhost "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").map(String.init)
    }

    func testBashCompletesValuesWithAColon() throws {
        // After the colon readline replaces only what follows it: the candidates are those tails.
        XCTAssertEqual(try bash("sevhost digest --mode snp:"), ["ovmf-hash", "svsm"])
        XCTAssertEqual(try bash("sevhost digest --mode snp:o"), ["ovmf-hash"])
        XCTAssertEqual(try bash("sevhost digest --mode s"), ["sev", "seves", "sev-es", "snp", "snp:ovmf-hash", "snp:svsm"])
        // A value with a colon is one word: the options after it still complete.
        XCTAssertEqual(try bash("sevhost digest --mode snp:ovmf-hash --ov"), ["--ovmf"])
        XCTAssertEqual(try bash("sevhost lau"), ["launch"])
    }

    /// zsh in a pseudo-terminal (zpty): TAB completes `snp:o` to the whole value (the stub
    /// `sevhost` function prints the line it was run with), and lists both colon values for
    /// `snp:`. Without the escaping, `_describe` read `snp:ovmf-hash` as `snp` described as
    /// `ovmf-hash`, and both completions found nothing.
    func testZshCompletesValuesWithAColon() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("zsh is missing: scripts/setup installs it") }
            throw XCTSkip("zsh is not installed (scripts/setup installs it)")
        }
        let session = directory.appendingPathComponent("session.zsh")
        try """
            zmodload zsh/zpty
            out=""
            # Reads the terminal until PATTERN shows (15 s at most): no fixed sleeps.
            await() {
                local line
                for i in {1..150}; do
                    if zpty -r -t z line; then out+="$line"; [[ $line == $~1 ]] && return 0; else sleep 0.1; fi
                done
                print -r -- "TIMEOUT waiting for $1"; return 1
            }
            zpty z 'zsh -f -i'
            zpty -w z 'COLUMNS=400; PS1="> "; fpath=(\(directory.path)/zsh $fpath); autoload -U compinit; compinit -u -D; sevhost() { print -r -- "RAN:$*:END" }; print READY-$((6 * 7))'
            await '*READY-42*'
            zpty -w -n z $'sevhost digest --mode snp:o\\t\\r'
            await '*RAN:*'
            zpty -w -n z $'sevhost digest --mode snp:\\t\\t'
            await '*snp:svsm*'
            zpty -w -n z $'\\C-a\\C-k'
            zpty -w z 'print DONE-$((6 * 7))'
            await '*DONE-42*'
            zpty -d z
            print -r -- "$out"
            """.write(to: session, atomically: true, encoding: .utf8)
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/timeout"), ["90", "/usr/bin/zsh", "-f", session.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        // Without the terminal's escape sequences and carriage returns.
        let plain = result.stdout.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r", with: "")
        XCTAssertTrue(plain.contains("RAN:digest --mode snp:ovmf-hash:END"), plain)
        XCTAssertTrue(plain.contains("\nsnp:ovmf-hash  snp:svsm"), plain)
    }
}
